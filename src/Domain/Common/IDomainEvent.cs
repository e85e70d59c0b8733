namespace EnvForge.Domain.Common;

/// <summary>
/// Every EnvForge event names its organization, who caused it and when (from the injected clock), so the
/// audit trail needs no knowledge of each capability. Events carry ids and facts, never secrets.
/// </summary>
public interface IDomainEvent
{
    Guid OrgId { get; }

    /// <summary>The user subject, or <c>system:...</c> for a workflow step.</summary>
    string Actor { get; }

    DateTimeOffset At { get; }

    /// <summary>A one-line, secret-free summary for the audit trail.</summary>
    string Describe();
}
