namespace EnvForge.Api.Infrastructure;

/// <summary>The ProblemDetails answers an endpoint can give, for the OpenAPI document (typed results list the successes).</summary>
public static class OpenApiProblems
{
    /// <summary>Every authorized endpoint: bad input (400), no or bad token (401), not visible to the caller (404).</summary>
    public static TBuilder WithCommonProblems<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status404NotFound);

    /// <summary>Commands also answer: role lacks the permission (403), a business rule or a concurrent writer (409), a stale If-Match (412), a rule broken (422).</summary>
    public static TBuilder WithCommandProblems<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    /// <summary>Workflow-backed commands also answer 503 while no Temporal server can be had.</summary>
    public static TBuilder WithWorkflowProblems<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder
        .WithCommandProblems()
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
