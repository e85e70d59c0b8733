using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using EnvForge.Workflows.Wallet;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Wallet;

/// <param name="Amount">Whole minor units of the wallet's currency (cents for EUR): a fraction or an overflow is malformed JSON for a long.</param>
/// <param name="Currency">Optional; when given it must be the wallet's.</param>
public sealed record TopUpRequest(long? Amount, string? Currency)
{
    public sealed class Validator : AbstractValidator<TopUpRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Amount).NotNull().InclusiveBetween(1, WalletDecider.MaxTopUp);
            RuleFor(r => r.Currency).Matches("^[A-Z]{3}$").When(r => r.Currency is not null).WithMessage("Currency is an ISO 4217 code in capitals, such as EUR.");
        }
    }
}

/// <summary>
/// Tops up the wallet (Owner/Admin): decide -> start the top-up's workflow (it charges the saved payment method with an
/// idempotency key from the top-up id) -> append. Without Stripe or Temporal: 503 and nothing recorded.
/// </summary>
internal static class RequestTopUpHandler
{
    public static async Task<Results<Accepted<TopUpAccepted>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IWalletWorkflows workflows, IStripePayments stripe,
        IOptions<WalletOptions> options, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<TopUpRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var topUpId = Guid.CreateVersion7(now);
        var result = await WalletCommand.ExecuteAsync(orgId, http, session, commands, Permission.ManageBilling,
            wallet => new RequestTopUp(orgId, topUpId, body!.Amount!.Value, body.Currency ?? wallet?.Currency ?? "", http.User.Subject(), now),
            beforeAppend: async (_, ct) =>
            {
                if (stripe.UnavailableReason is { } noStripe)
                {
                    return Problems.Problem(StatusCodes.Status503ServiceUnavailable, "payments_unavailable", "Payments unavailable", $"{noStripe}. Nothing was changed.");
                }

                if (workflows.UnavailableReason is { } unavailable)
                {
                    return Problems.WorkflowsUnavailable(unavailable);
                }

                // The workflow first: a top-up on the stream always has a workflow to pay it (one that finds no top-up ends).
                await workflows.StartTopUpAsync(new TopUpInput(orgId, topUpId, now.Add(options.Value.PaymentDeadline).UtcDateTime), ct);
                return null;
            });
        if (result.Problem is { } refused)
        {
            return refused;
        }

        var topUp = result.State.TopUps[topUpId];
        return TypedResults.Accepted($"/orgs/{orgId}/wallet/top-ups/{topUpId}",
            new TopUpAccepted(topUpId, topUp.Amount, result.State.Currency, topUp.Status, result.State.Balance));
    }
}
