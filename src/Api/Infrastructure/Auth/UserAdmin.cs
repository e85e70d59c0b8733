using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Infrastructure.Auth;

public sealed record CreateUserRequest(string UserName, string? DisplayName, bool Admin = false)
{
    public sealed class Validator : AbstractValidator<CreateUserRequest>
    {
        public Validator()
        {
            RuleFor(r => r.UserName).NotEmpty().Matches(LocalUsers.UserNamePattern())
                .WithMessage("A user name is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.");
            RuleFor(r => r.DisplayName).MaximumLength(200);
        }
    }
}

public sealed record LocalUserResponse(string UserName, string? DisplayName, bool Admin, bool MustChangePassword, bool Disabled, DateTimeOffset CreatedAt)
{
    public static LocalUserResponse From(LocalUser u) => new(u.UserName, u.DisplayName, u.IsAdmin, u.MustChangePassword, u.Disabled, u.CreatedAt);
}

/// <summary>The one-time password is in this answer and nowhere else: hand it over, it must be replaced at first sign-in.</summary>
public sealed record CreatedUserResponse(LocalUserResponse User, string OneTimePassword);

/// <summary>The embedded provider's users, for its admins (the first owner, and whoever they make admin). Not EnvForge roles: those are per org.</summary>
internal static partial class UserAdmin
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/auth/users").RequireAuthorization().WithTags("Sign-in").WithCommonProblems();
        users.MapGet("/", ListAsync).ProducesProblem(StatusCodes.Status403Forbidden).WithSummary("The embedded provider's users (provider admins).");
        users.MapPost("/", CreateAsync).Accepts<CreateUserRequest>("application/json").ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Create a user with a one-time password, shown once (provider admins).");
    }

    private static async Task<Results<Ok<IReadOnlyList<LocalUserResponse>>, ProblemHttpResult>> ListAsync(HttpContext http, LocalUsers users)
    {
        if (await NotAdminAsync(http, users) is { } refused)
        {
            return refused;
        }

        return TypedResults.Ok<IReadOnlyList<LocalUserResponse>>([.. (await users.ListAsync(http.RequestAborted)).Select(LocalUserResponse.From)]);
    }

    private static async Task<Results<Created<CreatedUserResponse>, ProblemHttpResult>> CreateAsync(
        HttpContext http, LocalUsers users, ILogger<LocalUser> logger)
    {
        if (await NotAdminAsync(http, users) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<CreateUserRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var actor = http.User.Subject();
        if (await users.CreateAsync(body!.UserName, body.DisplayName, body.Admin, actor, http.RequestAborted) is not { } password)
        {
            return Problems.Problem(StatusCodes.Status409Conflict, "user.already_exists", "Conflict", $"A user named {body.UserName} already exists.");
        }

        LogCreated(logger, body.UserName, actor);
        var created = await users.FindAsync(body.UserName, http.RequestAborted);
        return TypedResults.Created($"/auth/users/{body.UserName}", new CreatedUserResponse(LocalUserResponse.From(created!), password));
    }

    private static async Task<ProblemHttpResult?> NotAdminAsync(HttpContext http, LocalUsers users) =>
        await users.FindAsync(http.User.Subject(), http.RequestAborted) is { IsAdmin: true, Disabled: false }
            ? null
            : Problems.Forbidden("Only an admin of the embedded sign-in provider manages its users.");

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserName} created by {Actor} (one-time password returned to the caller only)")]
    private static partial void LogCreated(ILogger logger, string userName, string actor);
}
