using EnvForge.Domain.DevLinks;
using JasperFx.Events.Projections;
using Marten;

namespace EnvForge.Projections.DevLinks;

public static class DevLinkStorage
{
    /// <summary>The link snapshot: what the command path decides on, the API lists, and the gateway's directory reloads.</summary>
    public static StoreOptions AddDevLinks(this StoreOptions options)
    {
        options.Projections.Add(new DevLinkProjection(), ProjectionLifecycle.Inline);
        options.Schema.For<DevLink>().Index(l => l.OrgId).Index(l => l.WorkspaceId);
        return options;
    }
}
