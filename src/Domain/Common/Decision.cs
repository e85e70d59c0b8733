namespace EnvForge.Domain.Common;

/// <summary>How a refusal surfaces to a caller; the API maps each kind to one HTTP status.</summary>
public enum RejectionKind
{
    /// <summary>The target does not exist (or is not visible to the caller).</summary>
    NotFound,

    /// <summary>The request conflicts with the current state (duplicate, already done, last owner).</summary>
    Conflict,

    /// <summary>The request is well-formed but breaks a business rule.</summary>
    Unprocessable,

    /// <summary>The caller is a member but their role does not allow this.</summary>
    Forbidden,

    /// <summary>The organization's wallet cannot pay for what was asked.</summary>
    PaymentRequired,
}

/// <summary>A refusal as a value: a stable machine-readable code and a human message. Never carries secrets.</summary>
public sealed record Rejection(string Code, string Message, RejectionKind Kind);

/// <summary>
/// The outcome of a decision: the events to append (possibly none, for a repeated command) or a rejection.
/// </summary>
public readonly record struct Decision
{
    private Decision(IReadOnlyList<IDomainEvent> events, Rejection? rejection)
    {
        Events = events;
        Rejection = rejection;
    }

    public IReadOnlyList<IDomainEvent> Events { get; }

    public Rejection? Rejection { get; }

    public bool IsRejected => Rejection is not null;

    /// <summary>Nothing to do: the command was already applied (idempotency as a value).</summary>
    public static Decision None { get; } = new([], null);

    public static Decision Accept(params IDomainEvent[] events) => new(events, null);

    public static Decision Reject(Rejection rejection) => new([], rejection);

    public static implicit operator Decision(Rejection rejection) => Reject(rejection);
}
