using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;

namespace EnvForge.Api.Organizations;

public sealed record OrganizationResponse(Guid Id, string Name, Role YourRole, int MemberCount, string? ExternalId, long Version)
{
    /// <summary>The external ID is shown to those who set up the AWS trust policy; it is not a secret, but it is not everyone's business.</summary>
    public static OrganizationResponse From(Organization org, Role yourRole, long version) =>
        new(org.Id, org.Name, yourRole, org.MemberCount, yourRole.Can(Permission.ManagePolicy) ? org.ExternalId : null, version);
}

public sealed record MemberResponse(string UserId, string? DisplayName, Role Role)
{
    public static MemberResponse From(string userId, Membership m) => new(userId, m.DisplayName, m.Role);

    public static MemberResponse From(MemberAdded added) => new(added.UserId, added.DisplayName, added.Role);

    public static MemberResponse From(MemberView m) => new(m.UserId, m.DisplayName, m.Role);
}

public sealed record MemberPage(IReadOnlyList<MemberResponse> Items, string? NextCursor);

public sealed record MembershipResponse(Guid OrgId, Role Role);
