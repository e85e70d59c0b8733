using System.Security.Cryptography;
using EnvForge.Api.DevLinks;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using Marten;

namespace EnvForge.Bench;

/// <summary>
/// One valid dev link to a Ready, awake workspace in an org of its own, written as the events the API and its workflows
/// would have appended (issuing a link needs Temporal, which the bench does not run). The link's token is signed with a
/// key ring the bench shares with the API process through configuration, so the gateway accepts it as its own.
/// </summary>
internal sealed record DevLinkSeed(
    Guid OrgId, Guid WorkspaceId, Guid LinkId, DateTimeOffset ExpiresAt, string Token, DevLinkSigner Signer, string KeyId, string Key,
    Workspace Workspace, DevLink Link)
{
    public const string Actor = "bench-owner";

    /// <summary>The API process's key ring: <c>DevLinks:Keys:{id}</c> and <c>DevLinks:CurrentKeyId</c>.</summary>
    public IReadOnlyDictionary<string, string> ApiSecrets => new Dictionary<string, string> { [$"DevLinks__Keys__{KeyId}"] = Key };

    public IReadOnlyDictionary<string, string> ApiSettings => new Dictionary<string, string> { ["DevLinks__CurrentKeyId"] = KeyId };

    /// <param name="servicePort">The port the workspace's service listens on: the upstream's, via <c>{port}</c> in the template.</param>
    public static async Task<DevLinkSeed> AppendAsync(IDocumentStore store, int servicePort)
    {
        const string keyId = "b1";
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var signer = new DevLinkSigner(new Dictionary<string, byte[]> { [keyId] = Convert.FromBase64String(key) }, keyId);

        var now = DateTimeOffset.UtcNow;
        var (orgId, workspaceId, linkId) = (Guid.CreateVersion7(now), Guid.CreateVersion7(now), Guid.CreateVersion7(now));
        const string service = "web";
        var expiresAt = now.AddHours(4);
        var (token, tokenHash) = signer.IssueToken(linkId, generation: 1);

        IWorkspaceEvent[] workspace =
        [
            new WorkspaceCreated(workspaceId, orgId, "bench", "https://example.invalid/bench.git", "main", [new ServiceSpec(service, servicePort)], [], Actor, now),
            new WorkspacePlaced(workspaceId, orgId, "i-bench", "eu-west-1", Actor, now), // an AWS region: reached through the upstream template
            new WorkspaceReady(workspaceId, orgId, ["bench"], Actor, now),
            new WorkspaceWoke(workspaceId, orgId, WakeTrigger.Api, [], Actor, now),
        ];
        IDevLinkEvent[] link =
        [
            new DevLinkIssued(linkId, orgId, workspaceId, service, Actor, expiresAt,
                [DevLinkSurface.Web, DevLinkSurface.Api, DevLinkSurface.Assets, DevLinkSurface.WebSockets], keyId, tokenHash, Actor, now),
        ];

        await using var session = store.LightweightSession();
        var register = new RegisterOrganization(orgId, "bench gateway org", ExternalIds.New(), Actor, "Bench Owner", now);
        session.Events.StartStream<Organization>(orgId, OrganizationDecider.Decide(register, null).Events);
        session.Events.StartStream<Workspace>(workspaceId, workspace);
        session.Events.StartStream<DevLink>(linkId, link);
        await session.SaveChangesAsync();

        return new DevLinkSeed(orgId, workspaceId, linkId, expiresAt, token, signer, keyId, key,
            workspace.Aggregate((Workspace?)null, Workspace.Evolve)!, link.Aggregate((DevLink?)null, DevLink.Evolve)!);
    }
}
