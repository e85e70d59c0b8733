using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>The embedded provider's people: create with a one-time password, check a password, replace it.</summary>
public sealed partial class LocalUsers(AuthDbContext db, TimeProvider time, IOptions<AuthOptions> options)
{
    public const int MaxUserNameLength = 64;
    public const int MinPasswordLength = 12;

    /// <summary>bcrypt only reads the first 72 bytes: longer passwords are refused rather than silently cut.</summary>
    public const int MaxPasswordBytes = 72;

    /// <summary>A user name is also the person's subject in tokens and in org membership: lower-case, no spaces.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    public static partial Regex UserNamePattern();

    public static string? PasswordProblem(string? password) => password switch
    {
        null or "" => "A password is required.",
        { Length: < MinPasswordLength } => $"A password has at least {MinPasswordLength} characters.",
        _ when Encoding.UTF8.GetByteCount(password) > MaxPasswordBytes => $"A password has at most {MaxPasswordBytes} bytes.",
        _ => null,
    };

    public Task<LocalUser?> FindAsync(string userName, CancellationToken ct) =>
        db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.UserName == userName, ct);

    public async Task<IReadOnlyList<LocalUser>> ListAsync(CancellationToken ct) =>
        await db.Users.AsNoTracking().OrderBy(u => u.UserName).Take(1000).ToListAsync(ct);

    public Task<bool> AnyAsync(CancellationToken ct) => db.Users.AnyAsync(ct);

    /// <summary>Creates a user with a fresh one-time password, returned once to show to whoever hands it over; null if the name is taken.</summary>
    public async Task<string?> CreateAsync(string userName, string? displayName, bool isAdmin, string createdBy, CancellationToken ct)
    {
        if (await db.Users.AnyAsync(u => u.UserName == userName, ct))
        {
            return null;
        }

        var password = OneTimePassword();
        db.Users.Add(new LocalUser
        {
            UserName = userName,
            DisplayName = displayName,
            PasswordHash = BCrypt.Net.BCrypt.HashPassword(password, WorkFactor),
            MustChangePassword = true,
            IsAdmin = isAdmin,
            CreatedAt = time.GetUtcNow(),
            CreatedBy = createdBy,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return null; // created by someone else in the meantime
        }

        return password;
    }

    /// <summary>The user when the password is theirs and the account is enabled; a verify on a dummy hash otherwise, so timing tells nothing.</summary>
    public async Task<LocalUser?> VerifyAsync(string userName, string password, CancellationToken ct)
    {
        var user = await FindAsync(userName, ct);
        if (PasswordProblem(password) is not null && user is null)
        {
            return null;
        }

        var ok = BCrypt.Net.BCrypt.Verify(password, user?.PasswordHash ?? DummyHash(WorkFactor));
        return ok && user is { Disabled: false } ? user : null;
    }

    public async Task SetPasswordAsync(string userName, string newPassword, CancellationToken ct)
    {
        var user = await db.Users.SingleAsync(u => u.UserName == userName, ct);
        user.PasswordHash = BCrypt.Net.BCrypt.HashPassword(newPassword, WorkFactor);
        user.MustChangePassword = false;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>20 characters from an unambiguous alphabet: about 100 bits.</summary>
    private static string OneTimePassword()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
        return string.Create(20, alphabet, (span, a) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = a[RandomNumberGenerator.GetInt32(a.Length)];
            }
        });
    }

    private int WorkFactor => Math.Clamp(options.Value.PasswordHashCost, 4, 16);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> DummyHashes = new();

    /// <summary>A hash of nothing anyone knows, checked when the user does not exist, so an unknown name costs what a known one does.</summary>
    private static string DummyHash(int cost) =>
        DummyHashes.GetOrAdd(cost, c => BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), c));
}
