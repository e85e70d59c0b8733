using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.Wallet;

/// <summary>The wallet: balance, ledger, top-ups and refunds, usage receipts, its settings, and Stripe's webhook. The route group.</summary>
public sealed class WalletEndpoints : IApiCapability
{
    public void AddServices(WebApplicationBuilder builder)
    {
        // A refused delivery is reported to the audit trail's IWebhookRefusals (registered by the Audit capability).
        builder.Services.AddSingleton<StripeWebhookVerifier>();
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var wallet = app.MapGroup("/orgs/{orgId:guid}/wallet").RequireAuthorization().WithTags("Wallet").WithCommonProblems();
        wallet.MapGet("/", GetWalletHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("The balance (ETag: the wallet's version), rate, automatic top-up and payment method (Owner, Admin, Support, Auditor).");
        wallet.MapPost("/", OpenWalletHandler.HandleAsync).Accepts<OpenWalletRequest>("application/json").WithCommandProblems()
            .WithSummary("Open the org's wallet in one ISO 4217 currency (Owner/Admin).");
        wallet.MapGet("/ledger", GetLedgerHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Every balance change with the running balance, newest first (Owner, Admin, Support, Auditor).");
        wallet.MapGet("/top-ups", ListTopUpsHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden).WithSummary("Top-ups with their state, newest first.");
        wallet.MapGet("/top-ups/{topUpId:guid}", GetTopUpHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("One top-up: payment, credit, refunds, disputes.");
        wallet.MapPost("/top-ups", RequestTopUpHandler.HandleAsync).Accepts<TopUpRequest>("application/json").WithWorkflowProblems()
            .WithSummary("Top up: a workflow charges the saved payment method through Stripe (Owner/Admin).");
        wallet.MapPost("/top-ups/{topUpId:guid}/refunds", RequestRefundHandler.HandleAsync).Accepts<RefundRequest>("application/json").WithWorkflowProblems()
            .WithSummary("Refund part or all of a top-up, up to what is unspent (Owner).");
        wallet.MapGet("/usage", ListUsageReceiptsHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Usage receipts, one per awake period of a workspace (Owner, Admin, Support, Auditor).");
        wallet.MapPut("/auto-top-up", SetAutoTopUpHandler.HandleAsync).Accepts<AutoTopUpRequest>("application/json").WithCommandProblems()
            .WithSummary("When the balance falls under a threshold, top up an amount, at most N a day (Owner/Admin).");
        wallet.MapDelete("/auto-top-up", SetAutoTopUpHandler.TurnOffAsync).WithCommandProblems().WithSummary("Turn automatic top-ups off (Owner/Admin).");
        wallet.MapPut("/rate", SetRuntimeRateHandler.HandleAsync).Accepts<RateRequest>("application/json").WithCommandProblems()
            .WithSummary("The runtime rate per service-minute, in minor units (Owner).");
        wallet.MapPut("/payment-method", SetPaymentMethodHandler.HandleAsync).Accepts<PaymentMethodRequest>("application/json").WithCommandProblems()
            .WithSummary("The Stripe customer and saved payment method top-ups charge (Owner/Admin).");

        app.MapPost("/webhooks/stripe", StripeWebhookHandler.HandleAsync).AllowAnonymous().WithTags("Wallet")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Stripe's webhook: signature verified first, each event applied once.");
    }
}
