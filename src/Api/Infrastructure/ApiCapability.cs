namespace EnvForge.Api.Infrastructure;

/// <summary>
/// One capability's part of the API: its route group, and any services its endpoints need beyond the shared ones.
/// <c>Program.cs</c> lists every capability once; adding one is adding it to that list.
/// </summary>
public interface IApiCapability
{
    void AddServices(WebApplicationBuilder builder)
    {
    }

    void MapEndpoints(IEndpointRouteBuilder app);
}
