using System.Net;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Tests.Infrastructure;
using Npgsql;

namespace EnvForge.Tests.Auth;

/// <summary>After every sign-in path, no password and no token is in any log line (at Trace), any event, or any read model.</summary>
public sealed class NoSecretsTests(PostgresServer postgres) : AuthTestBase(postgres)
{
    [Fact]
    public async Task No_token_or_password_appears_in_logs_events_or_read_models()
    {
        List<string> secrets = [Host.InitialOwnerPassword(), NewOwnerPassword];
        var owner = await OwnerAsync();
        var oneTime = await CreateUserAsync("kim");
        secrets.Add(oneTime);
        var kim = await DeviceSignInAsync("kim", oneTime, "kim-password-1");
        secrets.Add("kim-password-1");

        using var cli = Host.Oidc();
        var device = await cli.StartDeviceAsync();
        secrets.Add(device.DeviceCode);
        using var browser = Host.Browser();
        await browser.ApproveDeviceAsync(device.VerificationUriComplete, "kim", "kim-password-1");
        var second = await cli.PollDeviceAsync(device.DeviceCode);
        var refreshed = await cli.RefreshAsync(second.RefreshToken!);
        var reused = await cli.RefreshAsync(second.RefreshToken!); // revokes the family
        Assert.Equal("invalid_grant", reused.Error);
        await (await Host.Api(kim.AccessToken).PostAsync($"/sessions/{kim.Access.GetClaim("sid").Value}/revoke", null)).AssertStatusAsync(HttpStatusCode.OK);
        await (await Host.Api(kim.AccessToken).GetAsync("/me")).AssertStatusAsync(HttpStatusCode.Unauthorized);
        using var wrong = Host.Browser();
        var login = await wrong.FollowAsync(await wrong.GetAsync("/auth/login"));
        await wrong.SubmitAsync(login, new Dictionary<string, string> { ["userName"] = "kim", ["password"] = "a-wrong-password-of-kim" });
        secrets.Add("a-wrong-password-of-kim");

        foreach (var tokens in new[] { owner, kim, second, refreshed })
        {
            secrets.AddRange([tokens.AccessToken!, tokens.RefreshToken!, tokens.IdToken!]);
            secrets.AddRange([tokens.AccessToken!.Split('.')[2], tokens.IdToken!.Split('.')[2]]); // signatures alone
        }

        var logs = Host.Logs.Lines.ToList();
        var stored = await StoredJsonAsync();
        Assert.NotEmpty(logs);
        Assert.Contains(stored, s => s.Contains("session.revoked", StringComparison.Ordinal) || s.Contains("refreshTokenReuse", StringComparison.OrdinalIgnoreCase));
        for (var i = 0; i < secrets.Count; i++)
        {
            var secret = secrets[i];
            var line = logs.Concat(stored).FirstOrDefault(l => l.Contains(secret, StringComparison.Ordinal));
            Assert.True(line is null, $"secret #{i} found in: {line?[..Math.Min(line.Length, 600)]}");
        }
    }

    /// <summary>Every event's data and every Marten document (read models, snapshots), as stored.</summary>
    private async Task<List<string>> StoredJsonAsync()
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'envforge' AND (table_name LIKE 'mt_doc_%' OR table_name = 'mt_events')", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var rows = new List<string>();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT data::text FROM envforge.{table}", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        return rows;
    }
}
