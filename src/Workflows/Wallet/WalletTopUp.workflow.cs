using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Workflows.Wallet;

/// <summary>
/// One top-up: create and confirm its Stripe PaymentIntent (idempotency key from the top-up id, so a retried activity never
/// charges twice), then wait for Stripe's word with a deadline. The verified webhook records the credit or the failure
/// itself and signals "look now"; the workflow then reads what the wallet says. At the deadline it asks Stripe, records
/// what it finds, and a payment still unconfirmed is recorded failed (a late success is still credited by the webhook).
/// </summary>
[Workflow]
public sealed class WalletTopUpWorkflow
{
    private bool _stripeAnswered;

    private static readonly ActivityOptions StripeCall = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(2),
        RetryPolicy = new RetryPolicy { MaximumAttempts = 8, InitialInterval = TimeSpan.FromSeconds(2), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(1) },
    };

    [WorkflowRun]
    public async Task<TopUpProgress> RunAsync(TopUpInput input)
    {
        TopUpProgress started;
        try
        {
            started = await Workflow.ExecuteActivityAsync((WalletActivities a) => a.StartPaymentAsync(input), StripeCall);
        }
        catch (ActivityFailureException failure) when (failure.InnerException is ApplicationFailureException { ErrorType: WalletActivities.NotRecorded })
        {
            return new TopUpProgress(TopUpOutcome.NotRequested);
        }
        catch (ActivityFailureException failure)
        {
            // Stripe unreachable for good: recorded failed. Should Stripe have charged after all, its webhook still credits.
            return await Workflow.ExecuteActivityAsync((WalletActivities a) => a.FailTopUpAsync(input, Reason(failure)), StripeCall);
        }

        while (started.Outcome == TopUpOutcome.Pending)
        {
            var remaining = input.Deadline - Workflow.UtcNow;
            if (remaining > TimeSpan.Zero)
            {
                await Workflow.WaitConditionAsync(() => _stripeAnswered, remaining);
            }

            _stripeAnswered = false;
            started = await Workflow.ExecuteActivityAsync((WalletActivities a) => a.ConcludeAsync(input), StripeCall);
        }

        return started;
    }

    /// <summary>The webhook recorded Stripe's answer about this top-up: look now.</summary>
    [WorkflowSignal]
    public Task StripeAnsweredAsync()
    {
        _stripeAnswered = true;
        return Task.CompletedTask;
    }

    private static string Reason(ActivityFailureException failure) =>
        failure.InnerException is ApplicationFailureException { ErrorType: { } type } ? type : "stripe_unavailable";
}
