using EnvForge.Domain.Wallet;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Workflows.Wallet;

/// <summary>
/// One refund an Owner asked for (its amount already left the balance): ask Stripe with the refund's own idempotency key,
/// record it issued; a refusal (or Stripe unreachable for good) records it failed, which returns the amount to the balance.
/// </summary>
[Workflow]
public sealed class WalletRefundWorkflow
{
    private static readonly ActivityOptions StripeCall = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(2),
        RetryPolicy = new RetryPolicy { MaximumAttempts = 8, InitialInterval = TimeSpan.FromSeconds(2), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(1) },
    };

    private RefundProgress _progress = new(RefundStatus.Requested);

    [WorkflowRun]
    public async Task<RefundProgress> RunAsync(RefundInput input)
    {
        try
        {
            _progress = await Workflow.ExecuteActivityAsync((WalletActivities a) => a.IssueRefundAsync(input), StripeCall);
        }
        catch (ActivityFailureException failure) when (failure.InnerException is ApplicationFailureException { ErrorType: WalletActivities.NotRecorded })
        {
            _progress = new RefundProgress(null);
        }
        catch (ActivityFailureException failure)
        {
            var reason = failure.InnerException is ApplicationFailureException { ErrorType: { } type } ? type : "stripe_unavailable";
            _progress = await Workflow.ExecuteActivityAsync((WalletActivities a) => a.FailRefundAsync(input, reason), StripeCall);
        }

        return _progress;
    }

    [WorkflowQuery]
    public RefundProgress Progress => _progress;
}
