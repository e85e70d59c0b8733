namespace EnvForge.Domain.Sessions;

/// <summary>A command on one Session stream.</summary>
public interface ISessionCommand
{
    Guid SessionId { get; }

    string Actor { get; }

    DateTimeOffset Now { get; }
}

/// <summary>The identity provider has just authenticated <paramref name="Subject"/> for <paramref name="ClientId"/>.</summary>
public sealed record StartSession(Guid SessionId, string Subject, string ClientId, string Flow, SessionOrigin From, string Actor, DateTimeOffset Now) : ISessionCommand;

/// <summary>A refresh token of generation <paramref name="PresentedGeneration"/> of this session was presented.</summary>
public sealed record RefreshSession(Guid SessionId, string Subject, int PresentedGeneration, SessionOrigin From, string Actor, DateTimeOffset Now) : ISessionCommand;


public sealed record RevokeSession(Guid SessionId, SessionEndReason Reason, string Actor, DateTimeOffset Now) : ISessionCommand;
