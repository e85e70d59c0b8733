using System.Net;
using System.Net.Http.Json;
using EnvForge.Api.Elevation;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Elevation;
using EnvForge.Tests.Infrastructure;
using JasperFx.Events;
using Marten;

namespace EnvForge.Tests.Elevation;

/// <summary>
/// An org set up for root elevation through the API: one member in every role (user ids prefixed with the org's name,
/// so two orgs in one test share nobody), AWS connected, one Ready workspace with a placement, and optionally a root
/// policy. The workspace is seeded on its stream directly: provisioning is not what these tests are about.
/// </summary>
internal sealed class ElevationOrg
{
    public const string RoleArn = "arn:aws:iam::123456789012:role/envforge-access";
    public const string SecretPath = "/envforge/acme/db-password";

    private readonly ApiFactory _api;

    private ElevationOrg(ApiFactory api, string name, Guid id)
    {
        _api = api;
        Name = name;
        Id = id;
    }

    public string Name { get; }

    public Guid Id { get; }

    public Guid WorkspaceId { get; private set; }

    /// <summary>The EC2 instances of the org's workspaces (a runtime VM never serves two orgs).</summary>
    public List<string> InstanceIds { get; } = [];

    public string Owner => $"{Name}-owner";

    public string Admin => $"{Name}-admin";

    public string SecondAdmin => $"{Name}-admin2";

    public string Developer => $"{Name}-dev";

    public string Viewer => $"{Name}-viewer";

    public string Support => $"{Name}-support";

    public string Auditor => $"{Name}-auditor";

    public static object Policy(string mode = "BreakGlass", int maximumWindowMinutes = 60, int approvalsRequired = 1, int pendingDeadlineMinutes = 60,
        bool ticketReferenceRequired = false) =>
        new { mode, maximumWindowMinutes, approvalsRequired, pendingDeadlineMinutes, ticketReferenceRequired };

    /// <param name="policy">The root policy to set, or null to keep the default (Disabled).</param>
    public static async Task<ElevationOrg> CreateAsync(ApiFactory api, string name, object? policy)
    {
        var owner = api.ClientFor($"{name}-owner");
        var registered = await owner.PostJsonAsync("/orgs", new { name });
        await registered.AssertStatusAsync(HttpStatusCode.Created);
        var id = (await registered.ReadAsync<OrganizationResponse>()).Id;
        foreach (var (user, role) in new[] { ("admin", "Admin"), ("admin2", "Admin"), ("dev", "Developer"), ("viewer", "Viewer"), ("support", "Support"), ("auditor", "Auditor") })
        {
            await (await owner.PostJsonAsync($"/orgs/{id}/members", new { userId = $"{name}-{user}", role })).AssertStatusAsync(HttpStatusCode.Created);
        }

        await (await owner.PutAsJsonAsync($"/orgs/{id}/aws", new { roleArn = RoleArn })).AssertStatusAsync(HttpStatusCode.OK);
        var org = new ElevationOrg(api, name, id);
        org.WorkspaceId = await org.AddWorkspaceAsync();
        if (policy is not null)
        {
            await (await org.SetPolicyAsync(policy)).AssertStatusAsync(HttpStatusCode.OK);
        }

        return org;
    }

    public HttpClient As(string user) => _api.ClientFor(user);

    public Task<HttpResponseMessage> SetPolicyAsync(object policy, string? by = null) =>
        As(by ?? Owner).PutAsJsonAsync($"/orgs/{Id}/root-policy", policy, Http.Json);

    public Task<HttpResponseMessage> PostRequestAsync(string? by = null, string mode = "BreakGlass", int windowMinutes = 30, string reason = "debug the kernel module",
        string? ticketReference = null, Guid? workspaceId = null) =>
        As(by ?? Developer).PostJsonAsync(
            $"/orgs/{Id}/workspaces/{workspaceId ?? WorkspaceId}/elevations", new { mode, windowMinutes, reason, ticketReference });

    /// <summary>Requests root and returns the accepted grant.</summary>
    public async Task<ElevationResponse> RequestAsync(
        string? by = null, int windowMinutes = 30, string reason = "debug the kernel module", Guid? workspaceId = null, string mode = "BreakGlass")
    {
        var response = await PostRequestAsync(by, mode, windowMinutes, reason, workspaceId: workspaceId);
        await response.AssertStatusAsync(HttpStatusCode.Accepted);
        return await response.ReadAsync<ElevationResponse>();
    }

    public Task<HttpResponseMessage> ApproveAsync(Guid grantId, string by, int? windowMinutes = null, Guid? inOrg = null) =>
        As(by).PostJsonAsync($"/orgs/{inOrg ?? Id}/elevations/{grantId}/approve", new { windowMinutes });

    public Task<HttpResponseMessage> DenyAsync(Guid grantId, string by, string reason = "not during the freeze", Guid? inOrg = null) =>
        As(by).PostJsonAsync($"/orgs/{inOrg ?? Id}/elevations/{grantId}/deny", new { reason });

    public Task<HttpResponseMessage> RevokeAsync(Guid grantId, string by, string reason = "done already", Guid? inOrg = null) =>
        As(by).PostJsonAsync($"/orgs/{inOrg ?? Id}/elevations/{grantId}/revoke", new { reason });

    public Task<HttpResponseMessage> GetAsync(Guid grantId, string by, Guid? inOrg = null) =>
        As(by).GetAsync($"/orgs/{inOrg ?? Id}/elevations/{grantId}");

    /// <summary>Records what the grant's workflow would (activation, closeout, expiry): decided on the stream, appended at the version read.</summary>
    public async Task DecideAsync(IElevationCommand command)
    {
        await using var session = _api.Store.LightweightSession();
        var stream = await session.Events.FetchForWriting<RootElevation>(command.GrantId);
        var decision = ElevationDecider.Decide(command, stream.Aggregate);
        Assert.Null(decision.Rejection);
        stream.AppendMany(decision.Events);
        await session.SaveChangesAsync();
    }

    /// <summary>A grant requested on the stream directly (for hosts where the API cannot start its workflow).</summary>
    public async Task<Guid> SeedGrantAsync(RootPolicy policy)
    {
        var now = DateTimeOffset.UtcNow;
        var command = new RequestElevation(
            Guid.CreateVersion7(now), Id, WorkspaceId, true, Domain.Organizations.Role.Developer, policy, policy.Mode, TimeSpan.FromMinutes(30),
            "seeded", null, Developer, now);
        var decision = ElevationDecider.Decide(command, null);
        Assert.Null(decision.Rejection);
        await using var session = _api.Store.LightweightSession();
        session.Events.StartStream<RootElevation>(command.GrantId, decision.Events);
        await session.SaveChangesAsync();
        return command.GrantId;
    }

    public async Task<IReadOnlyList<IEvent>> StreamAsync(Guid grantId)
    {
        await using var session = _api.Store.QuerySession();
        return await session.Events.FetchStreamAsync(grantId);
    }

    public async Task<long> StreamVersionAsync(Guid streamId)
    {
        await using var session = _api.Store.QuerySession();
        return (await session.Events.FetchStreamStateAsync(streamId))?.Version ?? 0;
    }

    public async Task<ElevationRecord?> RecordAsync(Guid grantId)
    {
        await using var session = _api.Store.QuerySession();
        return await session.LoadAsync<ElevationRecord>(grantId);
    }

    public static async Task<long> EventCountAsync(IDocumentStore store)
    {
        await using var session = store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    /// <summary>Another Ready workspace of the org, with its own instance.</summary>
    public async Task<Guid> AddWorkspaceAsync()
    {
        var (id, orgId, by) = (Guid.CreateVersion7(), Id, Developer);
        var instanceId = $"i-{Guid.NewGuid():N}"[..19];
        InstanceIds.Add(instanceId);
        var now = DateTimeOffset.UtcNow;
        await using var session = _api.Store.LightweightSession();
        session.Events.StartStream<Workspace>(id,
            new WorkspaceCreated(id, orgId, "acme-dev", "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000)],
                [new SecretRef("DB_PASSWORD", SecretPath, "web")], by, now),
            new ProvisioningStarted(id, orgId, by, now),
            new ProvisioningStepCompleted(id, orgId, ProvisioningStep.AssumeRole, "ok", "system", now),
            new ProvisioningStepCompleted(id, orgId, ProvisioningStep.Terraform, "ok", "system", now),
            new WorkspacePlaced(id, orgId, instanceId, "us-east-1", "system", now),
            new ProvisioningStepCompleted(id, orgId, ProvisioningStep.Verify, "ok", "system", now),
            new WorkspaceReady(id, orgId, ["ec2"], "system", now));
        await session.SaveChangesAsync();
        return id;
    }
}
