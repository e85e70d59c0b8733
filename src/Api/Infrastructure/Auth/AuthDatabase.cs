using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// A person who signs in to the embedded provider with a password. This is identity-provider state (what Auth0 keeps
/// for its users), not EnvForge product state: it lives beside OpenIddict's tables, never in an event.
/// </summary>
public sealed class LocalUser
{
    public required string UserName { get; set; }

    public string? DisplayName { get; set; }

    /// <summary>bcrypt (cost 11); the password itself is never stored or logged.</summary>
    public required string PasswordHash { get; set; }

    /// <summary>The password was handed out (printed once, or shown once to an admin) and must be replaced at the next sign-in.</summary>
    public bool MustChangePassword { get; set; }

    /// <summary>May create users (the first owner, and whoever they make admin).</summary>
    public bool IsAdmin { get; set; }

    public bool Disabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }
}

/// <summary>
/// The embedded provider's store: OpenIddict's applications, authorizations and tokens (device codes, authorization
/// codes, refresh-token entries) and the local users, in their own schema of the same PostgreSQL database.
/// </summary>
public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options) : DbContext(options)
{
    public const string Schema = "envforge_auth";

    public DbSet<LocalUser> Users => Set<LocalUser>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<LocalUser>(user =>
        {
            user.ToTable("local_users");
            user.HasKey(u => u.UserName);
            user.Property(u => u.UserName).HasMaxLength(LocalUsers.MaxUserNameLength);
            user.Property(u => u.DisplayName).HasMaxLength(200);
            user.Property(u => u.CreatedBy).HasMaxLength(200);
        });
    }
}

public static class AuthDatabase
{
    /// <summary>
    /// Creates the schema's tables once (under an advisory lock, so replicas starting together do not race). A later
    /// change to these tables needs a migration step here.
    /// </summary>
    public static async Task EnsureCreatedAsync(AuthDbContext db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock(7215001)", ct);
            var exists = await db.Database.SqlQueryRaw<bool>(
                $"SELECT to_regclass('{Schema}.local_users') IS NOT NULL AS \"Value\"").SingleAsync(ct);
            if (!exists)
            {
                await db.Database.ExecuteSqlRawAsync($"CREATE SCHEMA IF NOT EXISTS {Schema}", ct);
                await db.GetService<IRelationalDatabaseCreator>().CreateTablesAsync(ct);
            }
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock(7215001)", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    private const string Schema = AuthDbContext.Schema;
}
