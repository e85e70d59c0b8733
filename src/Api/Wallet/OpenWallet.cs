using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using EnvForge.Workflows.Wallet;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Wallet;

public sealed record OpenWalletRequest(string? Currency)
{
    public sealed class Validator : AbstractValidator<OpenWalletRequest>
    {
        public Validator() => RuleFor(r => r.Currency).NotEmpty().Matches("^[A-Z]{3}$").WithMessage("Currency is an ISO 4217 code in capitals, such as EUR.");
    }
}

/// <summary>Opens the org's wallet in one currency (Owner/Admin). Opening it again in the same currency changes nothing.</summary>
internal static class OpenWalletHandler
{
    public static async Task<Results<Ok<WalletResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IOptions<WalletOptions> options, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<OpenWalletRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var result = await WalletCommand.ExecuteAsync(orgId, http, session, commands, Permission.ManageBilling,
            _ => new OpenWallet(orgId, body!.Currency!, http.User.Subject(), time.GetUtcNow()));
        return result.Problem is { } refused
            ? refused
            : TypedResults.Ok(WalletResponse.From(orgId, result.State, result.Version, options.Value.DefaultRatePerServiceMinute, options.Value.MinimumRuntimeMinutes));
    }
}
