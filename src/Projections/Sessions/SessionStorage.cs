using EnvForge.Domain.Sessions;
using JasperFx.Events.Projections;
using Marten;

namespace EnvForge.Projections.Sessions;

public static class SessionStorage
{
    /// <summary>
    /// The session snapshot, inline: the token endpoint decides on it, people list it, and the API's revocation list
    /// reads the recently revoked ones. Indexed by owner (lists) and by revocation time (the revocation list's poll).
    /// </summary>
    public static StoreOptions AddSessions(this StoreOptions options)
    {
        options.Projections.Add(new SessionProjection(), ProjectionLifecycle.Inline);
        options.Schema.For<Session>().Index(s => s.Subject).Index(s => s.RevokedAt);
        return options;
    }
}
