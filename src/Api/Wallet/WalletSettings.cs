using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using EnvForge.Workflows.Wallet;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Wallet;

public sealed record AutoTopUpRequest(long? Threshold, long? Amount, int? MaxPerDay)
{
    public sealed class Validator : AbstractValidator<AutoTopUpRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Threshold).NotNull().InclusiveBetween(0, WalletDecider.MaxBalance);
            RuleFor(r => r.Amount).NotNull().InclusiveBetween(1, WalletDecider.MaxTopUp);
            RuleFor(r => r.MaxPerDay).NotNull().InclusiveBetween(1, WalletDecider.MaxAutoTopUpsPerDay);
        }
    }
}

public sealed record RateRequest(long? RatePerServiceMinute)
{
    public sealed class Validator : AbstractValidator<RateRequest>
    {
        public Validator() => RuleFor(r => r.RatePerServiceMinute).NotNull().InclusiveBetween(0, WalletDecider.MaxRate);
    }
}

public sealed record PaymentMethodRequest(string? CustomerId, string? PaymentMethodId)
{
    public sealed class Validator : AbstractValidator<PaymentMethodRequest>
    {
        public Validator()
        {
            RuleFor(r => r.CustomerId).NotEmpty().MaximumLength(255).Matches("^cus_[A-Za-z0-9]+$").WithMessage("A Stripe customer id (cus_...).");
            RuleFor(r => r.PaymentMethodId).NotEmpty().MaximumLength(255).Matches("^pm_[A-Za-z0-9]+$").WithMessage("A Stripe PaymentMethod id (pm_...).");
        }
    }
}

/// <summary>"When the balance falls under X, top up Y, at most Z a day" (Owner/Admin); DELETE turns it off. Honours If-Match.</summary>
internal static class SetAutoTopUpHandler
{
    public static async Task<Results<Ok<WalletResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IOptions<WalletOptions> options, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<AutoTopUpRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var settings = new AutoTopUpSettings(body!.Threshold!.Value, body.Amount!.Value, body.MaxPerDay!.Value);
        return Answer(orgId, options.Value, await WalletCommand.ExecuteAsync(orgId, http, session, commands, Permission.ManageBilling,
            _ => new SetAutoTopUp(orgId, settings, http.User.Subject(), time.GetUtcNow())));
    }

    public static async Task<Results<Ok<WalletResponse>, ProblemHttpResult>> TurnOffAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IOptions<WalletOptions> options, TimeProvider time) =>
        Answer(orgId, options.Value, await WalletCommand.ExecuteAsync(orgId, http, session, commands, Permission.ManageBilling,
            _ => new SetAutoTopUp(orgId, null, http.User.Subject(), time.GetUtcNow())));

    internal static Results<Ok<WalletResponse>, ProblemHttpResult> Answer(Guid orgId, WalletOptions options, CommandResult<OrgWallet> result) =>
        result.Problem is { } refused
            ? refused
            : TypedResults.Ok(WalletResponse.From(orgId, result.State, result.Version, options.DefaultRatePerServiceMinute, options.MinimumRuntimeMinutes));
}

/// <summary>The org's runtime rate per service-minute (Owner); it applies from each workspace's next awake period.</summary>
internal static class SetRuntimeRateHandler
{
    public static async Task<Results<Ok<WalletResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IOptions<WalletOptions> options, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<RateRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return SetAutoTopUpHandler.Answer(orgId, options.Value, await WalletCommand.ExecuteAsync(orgId, http, session, commands,
            Permission.ManageBillingTerms, _ => new SetRuntimeRate(orgId, body!.RatePerServiceMinute!.Value, http.User.Subject(), time.GetUtcNow())));
    }
}

/// <summary>The Stripe customer and saved payment method top-ups charge (Owner/Admin): ids only, set up in Stripe.</summary>
internal static class SetPaymentMethodHandler
{
    public static async Task<Results<Ok<WalletResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IOptions<WalletOptions> options, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<PaymentMethodRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return SetAutoTopUpHandler.Answer(orgId, options.Value, await WalletCommand.ExecuteAsync(orgId, http, session, commands,
            Permission.ManageBilling, _ => new SetPaymentMethod(orgId, body!.CustomerId!, body.PaymentMethodId!, http.User.Subject(), time.GetUtcNow())));
    }
}
