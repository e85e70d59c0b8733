using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using EnvForge.Workflows.Wallet;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Wallet;

public sealed record RefundRequest(long? Amount)
{
    public sealed class Validator : AbstractValidator<RefundRequest>
    {
        public Validator() => RuleFor(r => r.Amount).NotNull().InclusiveBetween(1, WalletDecider.MaxTopUp);
    }
}

/// <summary>
/// Refunds part or all of a top-up (Owner): never more than it credited less what went back already, never more than the
/// unspent balance. The amount leaves the balance now; the refund's workflow asks Stripe (its own idempotency key).
/// </summary>
internal static class RequestRefundHandler
{
    public static async Task<Results<Accepted<RefundAccepted>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid topUpId, HttpContext http, IQuerySession session, StreamCommands commands, IWalletWorkflows workflows, IStripePayments stripe,
        TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<RefundRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var refundId = Guid.CreateVersion7(now);
        var result = await WalletCommand.ExecuteAsync(orgId, http, session, commands, Permission.ManageBillingTerms,
            _ => new RequestRefund(orgId, refundId, topUpId, body!.Amount!.Value, http.User.Subject(), now),
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

                await workflows.StartRefundAsync(new RefundInput(orgId, refundId, topUpId), ct);
                return null;
            });
        if (result.Problem is { } refused)
        {
            return refused;
        }

        return TypedResults.Accepted($"/orgs/{orgId}/wallet/top-ups/{topUpId}",
            new RefundAccepted(refundId, topUpId, body!.Amount!.Value, RefundStatus.Requested, result.State.Balance));
    }
}
