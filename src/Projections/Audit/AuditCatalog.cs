using System.Globalization;
using System.Text.RegularExpressions;
using EnvForge.Domain.Audit;
using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using EnvForge.Domain.Workspaces;

namespace EnvForge.Projections.Audit;

/// <summary>What the trail says about one event: its action code, outcome, workspace, target, detail and personal fields.</summary>
public sealed record AuditFacts(
    string Action, string Outcome, Guid? WorkspaceId, string TargetType, string TargetId, Dictionary<string, string> Detail,
    Dictionary<string, string>? Personal = null);

/// <summary>
/// Every event type's action code and structured, secret-free detail. The code is the event's stable stored name without
/// its version (<c>organization.member_added.v1</c> is <c>organization.member_added</c>), except for the audit's own
/// records (named for what they are about). Details hold ids, names, counts and settings: never a token, its hash, a
/// ciphertext, an SSM path or a secret value. An event type this catalog does not know yet (a capability added later)
/// still gets an entry: its derived code, target the stream, and no detail until it is described here.
/// </summary>
public static partial class AuditCatalog
{
    // Declared first: the static fields below read it.
    private static readonly Dictionary<Type, string> Explicit = new()
    {
        [typeof(DevLinkRequestsRefused)] = "dev_link.requests_refused",
        [typeof(WebhookRefused)] = "wallet.webhook_refused",
        [typeof(SignInRefused)] = "session.sign_in_refused",
        [typeof(PersonalDataMasked)] = "organization.member_personal_data_masked",
    };

    /// <summary>Every action code the trail can hold, for validating queries and for the README's table.</summary>
    public static IReadOnlySet<string> KnownActions { get; } = new HashSet<string>(
        Infrastructure.EventStore.EventNames(typeof(IDomainEvent).Assembly).Select(t => ActionOf(t.Type, t.Name)), StringComparer.Ordinal);

    public static IReadOnlySet<string> TargetTypes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "organization", "member", "aws_connection", "root_policy", "dev_link_policy", "workspace_policy", "workspace", "dev_link",
        "elevation", "webhook", "sign_in", "wallet", "top_up", "refund", "stream",
    };

    /// <summary>The action code of an event type with the stored name <paramref name="eventName"/>.</summary>
    public static string ActionOf(Type type, string eventName) =>
        Explicit.TryGetValue(type, out var code) ? code : VersionSuffix().Replace(eventName, "");

    /// <param name="workspaceOf">The workspace of a dev link or grant stream whose event does not name it (from its snapshot).</param>
    public static AuditFacts Of(IDomainEvent e, string eventName, Guid streamId, Func<Guid, Guid?> workspaceOf)
    {
        var action = ActionOf(e.GetType(), eventName);
        return e switch
        {
            IOrganizationEvent o => Organization(action, o),
            IWorkspaceEvent w => Workspace(action, w),
            IDevLinkEvent l => DevLink(action, l, workspaceOf(l.LinkId)),
            IElevationEvent g => Elevation(action, g, workspaceOf(g.GrantId)),
            IWalletEvent m => Wallet(action, m),
            IAuditRecordEvent r => Record(action, r),

            // Not described yet (say, a capability merged after this catalog): its code and stream, no detail.
            _ => new AuditFacts(action, AuditOutcomes.Success, null, "stream", streamId.ToString("D"), []),
        };
    }

    /// <summary><c>user</c>, <c>system</c> (a workflow step), <c>gateway</c> or <c>webhook</c>, from the actor's form.</summary>
    public static string KindOf(string actor) => actor switch
    {
        _ when actor.StartsWith("system:", StringComparison.Ordinal) => "system",
        "gateway" => "gateway",
        _ when actor.StartsWith("webhook:", StringComparison.Ordinal) => "webhook",
        _ => "user",
    };

    private static AuditFacts Organization(string action, IOrganizationEvent e)
    {
        var org = e.OrgId.ToString("D");
        return e switch
        {
            OrganizationRegistered r => Facts(action, "organization", org, null, ("name", r.Name)),
            MemberAdded m => Facts(action, "member", m.UserId, null, ("userId", m.UserId), ("role", m.Role.ToString())) with
            {
                Personal = m.DisplayName is { } name ? new Dictionary<string, string> { ["displayName"] = name } : null,
            },
            MemberRoleChanged m => Facts(action, "member", m.UserId, null, ("userId", m.UserId), ("from", m.From.ToString()), ("to", m.To.ToString())),
            MemberRemoved m => Facts(action, "member", m.UserId, null, ("userId", m.UserId), ("role", m.Role.ToString())),
            AwsAccountConnected c => Facts(action, "aws_connection", org, null, ("accountHint", c.AccountHint), ("encryptionKeyId", c.RoleArn.KeyId)),
            AwsAccountDisconnected d => Facts(action, "aws_connection", org, null, ("accountHint", d.AccountHint)),
            WorkspacePolicyChanged p => Facts(action, "workspace_policy", org, null, ("idleTimeoutMinutes", Number(p.IdleTimeoutMinutes))),
            RootPolicyChanged p => Facts(action, "root_policy", org, null,
                ("mode", p.Policy.Mode.ToString()), ("maximumWindowMinutes", Minutes(p.Policy.MaximumWindow)),
                ("approvalsRequired", Number(p.Policy.ApprovalsRequired)), ("pendingDeadlineMinutes", Minutes(p.Policy.PendingDeadline)),
                ("ticketReferenceRequired", p.Policy.TicketReferenceRequired ? "true" : "false")),
            DevLinkPolicyChanged p => Facts(action, "dev_link_policy", org, null,
                ("defaultExpiryMinutes", Minutes(p.Policy.DefaultExpiry)), ("maximumExpiryMinutes", Minutes(p.Policy.MaximumExpiry))),
            _ => Facts(action, "organization", org, null),
        };
    }

    private static AuditFacts Workspace(string action, IWorkspaceEvent e)
    {
        var id = e.WorkspaceId.ToString("D");
        return e switch
        {
            WorkspaceCreated c => Facts(action, "workspace", id, e.WorkspaceId,
                ("name", c.Name), ("repository", c.Repository), ("branch", c.Branch),
                ("services", string.Join(",", c.Services.Select(s => $"{s.Name}:{s.Port}:{s.Kind}"))),
                ("secrets", string.Join(",", c.Secrets.Select(s => $"{s.Name}@{s.Service}")))),
            ProvisioningStepCompleted s => Facts(action, "workspace", id, e.WorkspaceId, ("step", s.Step.ToString()), ("summary", s.Summary)),
            WorkspacePlaced p => Facts(action, "workspace", id, e.WorkspaceId, ("instanceId", p.InstanceId), ("region", p.Region)),
            WorkspaceReady r => Facts(action, "workspace", id, e.WorkspaceId, ("checks", string.Join(",", r.VerifiedChecks))),
            ProvisioningFailed f => Facts(action, "workspace", id, e.WorkspaceId, ("step", f.Step.ToString()), ("reason", f.Reason)) with
            {
                Outcome = AuditOutcomes.Failed,
            },
            WorkspaceResourcesDestroyed d => Facts(action, "workspace", id, e.WorkspaceId, ("summary", d.Summary)),
            WorkspaceWoke w => Facts(action, "workspace", id, e.WorkspaceId, ("trigger", w.Trigger.ToString()), ("secretsInjected", string.Join(",", w.SecretsInjected))),
            WorkspaceSlept s => Facts(action, "workspace", id, e.WorkspaceId, ("reason", s.Reason)),
            _ => Facts(action, "workspace", id, e.WorkspaceId),
        };
    }

    private static AuditFacts DevLink(string action, IDevLinkEvent e, Guid? workspace)
    {
        var id = e.LinkId.ToString("D");
        return e switch
        {
            DevLinkIssued i => Facts(action, "dev_link", id, i.WorkspaceId,
                ("service", i.Service), ("issuer", i.Issuer), ("expiresAt", AuditCanonical.Time(i.ExpiresAt)), ("surfaces", Surfaces(i.Surfaces)),
                ("audience", Audience(i.Audience)), ("keyId", i.KeyId)),
            DevLinkFirstUsed u => Facts(action, "dev_link", id, workspace, ("generation", Number(u.Generation))),
            DevLinkRotated r => Facts(action, "dev_link", id, workspace, ("generation", Number(r.Generation)), ("keyId", r.KeyId)),
            DevLinkSurfacesChanged s => Facts(action, "dev_link", id, workspace, ("surfaces", Surfaces(s.Surfaces))),
            DevLinkAudienceChanged a => Facts(action, "dev_link", id, workspace, ("audience", Audience(a.Audience))),
            DevLinkRevoked r => Facts(action, "dev_link", id, workspace, ("reason", r.Reason ?? "")),
            DevLinkExpired x => Facts(action, "dev_link", id, workspace, ("expiresAt", AuditCanonical.Time(x.ExpiresAt))) with
            {
                Outcome = AuditOutcomes.Expired,
            },
            _ => Facts(action, "dev_link", id, workspace),
        };
    }

    private static AuditFacts Elevation(string action, IElevationEvent e, Guid? workspace)
    {
        var id = e.GrantId.ToString("D");
        return e switch
        {
            ElevationRequested r => Facts(action, "elevation", id, r.WorkspaceId,
                ("requester", r.Requester), ("mode", r.Mode.ToString()), ("windowMinutes", Minutes(r.RequestedWindow)),
                ("approvalsRequired", Number(r.ApprovalsRequired)), ("deadline", AuditCanonical.Time(r.Deadline)), ("reason", r.Reason),
                ("ticketReference", r.TicketReference ?? "")),
            ElevationApproved a => Facts(action, "elevation", id, workspace,
                ("approver", a.Approver), ("windowMinutes", Minutes(a.Window)), ("approvalsGiven", Number(a.ApprovalsGiven)),
                ("approvalsRequired", Number(a.ApprovalsRequired))),
            ElevationDenied d => Facts(action, "elevation", id, workspace, ("approver", d.Approver), ("reason", d.Reason)) with
            {
                Outcome = AuditOutcomes.Denied,
            },
            ElevationActivated a => Facts(action, "elevation", id, a.WorkspaceId,
                ("notBefore", AuditCanonical.Time(a.NotBefore)), ("expiresAt", AuditCanonical.Time(a.ExpiresAt))),
            ElevationRevoked r => Facts(action, "elevation", id, workspace, ("revokedBy", r.RevokedBy), ("reason", r.Reason)),
            ElevationExpired x => Facts(action, "elevation", id, workspace, ("deadline", AuditCanonical.Time(x.Deadline)), ("cause", x.Cause.ToString())) with
            {
                Outcome = AuditOutcomes.Expired,
            },
            ElevationClosedOut c => Facts(action, "elevation", id, c.WorkspaceId,
                ("how", c.How.ToString()), ("credentialsInvalidBefore", AuditCanonical.Time(c.CredentialsInvalidBefore))) with
            {
                Outcome = c.How == ElevationEnding.ActivationFailed ? AuditOutcomes.Failed : AuditOutcomes.Success,
            },
            _ => Facts(action, "elevation", id, workspace),
        };
    }

    /// <summary>Amounts in the wallet's minor units, with the balance after; Stripe's object ids, never a payment method or customer.</summary>
    private static AuditFacts Wallet(string action, IWalletEvent e)
    {
        var wallet = e.WalletId.ToString("D");
        return e switch
        {
            WalletOpened o => Facts(action, "wallet", wallet, null, ("currency", o.Currency)),
            TopUpRequested r => Facts(action, "top_up", Id(r.TopUpId), null,
                ("amount", Number(r.Amount)), ("currency", r.Currency), ("automatic", r.Automatic ? "true" : "false")),
            TopUpPaymentStarted p => Facts(action, "top_up", Id(p.TopUpId), null, ("paymentIntent", p.PaymentIntentId), ("status", p.Status)),
            WalletCredited c => Facts(action, "top_up", Id(c.TopUpId), null,
                ("amount", Number(c.Amount)), ("balanceAfter", Number(c.BalanceAfter)), ("paymentIntent", c.PaymentIntentId)),
            TopUpFailed f => Facts(action, "top_up", Id(f.TopUpId), null, ("reason", f.Reason)) with { Outcome = AuditOutcomes.Failed },
            RefundRequested r => Facts(action, "refund", Id(r.RefundId), null,
                ("topUpId", Id(r.TopUpId)), ("amount", Number(r.Amount)), ("balanceAfter", Number(r.BalanceAfter))),
            RefundIssued r => Facts(action, "refund", Id(r.RefundId), null, ("topUpId", Id(r.TopUpId)), ("amount", Number(r.Amount)), ("stripeRefund", r.StripeRefundId)),
            RefundFailed r => Facts(action, "refund", Id(r.RefundId), null,
                ("topUpId", Id(r.TopUpId)), ("amount", Number(r.Amount)), ("reason", r.Reason), ("balanceAfter", Number(r.BalanceAfter))) with
            {
                Outcome = AuditOutcomes.Failed,
            },
            ChargeRefunded r => Facts(action, "top_up", Id(r.TopUpId), null,
                ("refunded", Number(r.Refunded)), ("debited", Number(r.Debited)), ("uncovered", Number(r.Uncovered)), ("balanceAfter", Number(r.BalanceAfter))),
            WalletDisputed d => Facts(action, "top_up", Id(d.TopUpId), null,
                ("dispute", d.DisputeId), ("amount", Number(d.Amount)), ("debited", Number(d.Debited)), ("uncovered", Number(d.Uncovered)),
                ("balanceAfter", Number(d.BalanceAfter))),
            UsageDebited d => Facts(action, "wallet", wallet, d.WorkspaceId,
                ("minutes", Number(d.Minutes)), ("services", string.Join(",", d.Services)), ("rate", Number(d.Rate)), ("amount", Number(d.Amount)),
                ("balanceAfter", Number(d.BalanceAfter))),
            UsageSettled u => Facts(action, "wallet", wallet, u.WorkspaceId,
                ("minutesUsed", Number(u.MinutesUsed)), ("minutesPaid", Number(u.MinutesPaid)), ("charged", Number(u.Charged)),
                ("returned", Number(u.Returned)), ("balanceAfter", Number(u.BalanceAfter))),
            LowBalanceThresholdCrossed t => Facts(action, "wallet", wallet, null, ("percentSpent", Number(t.PercentSpent)), ("balance", Number(t.Balance))),
            AutoTopUpChanged a => Facts(action, "wallet", wallet, null, a.Settings is { } on
                ? [("threshold", Number(on.Threshold)), ("amount", Number(on.Amount)), ("maxPerDay", Number(on.MaxPerDay))]
                : [("automatic", "off")]),
            RuntimeRateChanged r => Facts(action, "wallet", wallet, null, ("ratePerServiceMinute", Number(r.RatePerServiceMinute))),
            PaymentMethodSet => Facts(action, "wallet", wallet, null), // which card is Stripe's business: no ids here
            _ => Facts(action, "wallet", wallet, null),
        };
    }

    private static string Id(Guid id) => id.ToString("D");

    private static AuditFacts Record(string action, IAuditRecordEvent e) => e switch
    {
        DevLinkRequestsRefused r => Facts(action, "dev_link", r.LinkId.ToString("D"), r.WorkspaceId,
            ("count", Number(r.Count)), ("windowStart", AuditCanonical.Time(r.WindowStart)), ("windowEnd", AuditCanonical.Time(r.WindowEnd)),
            ("reasons", string.Join(",", r.Reasons.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{p.Value}")))) with
        {
            Outcome = AuditOutcomes.Refused,
        },
        WebhookRefused w => Facts(action, "webhook", w.Provider, null,
            ("reason", w.Reason), ("count", Number(w.Count)), ("windowStart", AuditCanonical.Time(w.WindowStart)),
            ("windowEnd", AuditCanonical.Time(w.WindowEnd))) with
        {
            Outcome = AuditOutcomes.Refused,
        },
        SignInRefused r => Facts(action, "sign_in", r.Reason, null,
            ("reason", r.Reason), ("count", Number(r.Count)), ("windowStart", AuditCanonical.Time(r.WindowStart)),
            ("windowEnd", AuditCanonical.Time(r.WindowEnd))) with
        {
            Outcome = AuditOutcomes.Refused,
        },
        PersonalDataMasked m => Facts(action, "member", m.UserId, null, ("userId", m.UserId), ("events", Number(m.Events))),
        _ => Facts(action, "stream", e.RecordId.ToString("D"), null),
    };

    private static AuditFacts Facts(string action, string targetType, string targetId, Guid? workspace, params (string Key, string Value)[] detail) =>
        new(action, AuditOutcomes.Success, workspace, targetType, targetId, detail.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal));

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Minutes(TimeSpan value) => value.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Surfaces(IReadOnlyList<DevLinkSurface> surfaces) => string.Join(",", surfaces);

    private static string Audience(DevLinkAudience? audience) =>
        audience is null ? "anyone" : string.Join(",", [.. audience.Users.Select(u => $"user:{u}"), .. audience.Roles.Select(r => $"role:{r}")]);

    [GeneratedRegex(@"\.v[0-9]+$")]
    private static partial Regex VersionSuffix();
}
