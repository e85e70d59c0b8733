using EnvForge.Domain.Common;
using EnvForge.Domain.Sessions;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Auth;

/// <summary>The Session stream's decisions: rotation by generation, reuse revoking the family, revocation for good.</summary>
public sealed class SessionDeciderTests
{
    private static readonly Guid Id = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);
    private static readonly SessionOrigin From = SessionOrigin.Of("10.0.0.7", "envforge-cli/0.1.0");

    private static DeciderSpecification<Session, ISessionEvent, ISessionCommand> Spec() => new(SessionDecider.Decide, Session.Evolve);

    private static SessionStarted Started() => new(Id, "alice", "envforge-cli", "device_code", From, "alice", Now);

    private static SessionRefreshed Refreshed(int generation) => new(Id, generation, From, "alice", Now.AddMinutes(15 * (generation - 1)));

    private static RefreshSession Refresh(int presented, string subject = "alice") => new(Id, subject, presented, From, subject, Now.AddHours(1));

    [Fact]
    public void A_sign_in_starts_a_session_once() =>
        Spec().Given(Started()).When(new StartSession(Id, "alice", "envforge-cli", "device_code", From, "alice", Now)).ThenNothing();

    [Fact]
    public void The_current_refresh_token_rotates_to_the_next_generation() =>
        Spec().Given(Started(), Refreshed(2)).When(Refresh(2)).Then(new SessionRefreshed(Id, 3, From, "alice", Now.AddHours(1)));

    [Fact]
    public void An_older_refresh_token_is_reuse_and_revokes_the_whole_session() =>
        Spec().Given(Started(), Refreshed(2), Refreshed(3)).When(Refresh(2)).Then(
            new SessionRefreshTokenReused(Id, 2, 3, From, "alice", Now.AddHours(1)),
            new SessionRevoked(Id, "alice", SessionEndReason.RefreshTokenReuse, "alice", Now.AddHours(1)));

    [Fact]
    public void A_revoked_session_refreshes_no_more_not_even_with_its_current_token() =>
        Spec().Given(Started(), new SessionRevoked(Id, "alice", SessionEndReason.SignedOut, "alice", Now)).When(Refresh(1)).ThenRejects("session.revoked");

    [Fact]
    public void Someone_elses_refresh_token_for_this_session_is_not_found() =>
        Spec().Given(Started()).When(Refresh(1, subject: "mallory")).ThenRejects("session.not_found");

    [Fact]
    public void Revoking_twice_changes_nothing() =>
        Spec().Given(Started(), new SessionRevoked(Id, "alice", SessionEndReason.RevokedByAdmin, "admin", Now))
            .When(new RevokeSession(Id, SessionEndReason.SignedOut, "alice", Now)).ThenNothing();

    [Fact]
    public void No_session_no_refresh() => Spec().When(Refresh(1)).ThenRejects("session.not_found");

    [Fact]
    public void Session_events_have_stable_names_and_no_org()
    {
        var names = EventStore.EventNames(typeof(IDomainEvent).Assembly).Where(n => n.Name.StartsWith("session.", StringComparison.Ordinal)).Select(n => n.Name).Order();
        Assert.Equal(["session.refresh_token_reused.v1", "session.refreshed.v1", "session.revoked.v1", "session.started.v1"], names);
        Assert.Equal(Guid.Empty, Started().OrgId);
    }
}
