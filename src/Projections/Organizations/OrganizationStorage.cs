using EnvForge.Domain.Organizations;
using JasperFx.Events.Projections;
using Marten;

namespace EnvForge.Projections.Organizations;

public static class OrganizationStorage
{
    /// <summary>The org snapshot the command path decides on, and the member directory (both inline: read-your-writes).</summary>
    public static StoreOptions AddOrganizations(this StoreOptions options)
    {
        options.Projections.Add(new OrganizationProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new MemberDirectoryProjection(), ProjectionLifecycle.Inline);

        // The external ID is the confused-deputy guard of every AWS role assumption: never two orgs with one.
        options.Schema.For<Organization>().UniqueIndex(o => o.ExternalId);
        options.Schema.For<MemberView>().Index(m => m.OrgId).Index(m => m.UserId);
        return options;
    }
}
