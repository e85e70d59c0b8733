using System.Security.Claims;
using EnvForge.Projections.Audit;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// The embedded provider's pages: sign in with a password (and replace a one-time password), approve a device's sign-in
/// (the code the CLI shows), and the authorization endpoint of the browser flow. Forms carry an antiforgery token and the
/// sign-in cookie is SameSite=Lax, so another site cannot approve a device on someone's behalf.
/// </summary>
internal static partial class SignInPages
{
    public const string LoginPath = "/auth/login";

    public static IResult LoginPage(HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
        Html.Page(http, "Sign in to EnvForge", LoginForm(http, antiforgery, Local(returnUrl), userName: null, message: null, mustChange: false));

    public static async Task<IResult> LoginAsync(
        HttpContext http, IAntiforgery antiforgery, LocalUsers users, ISignInRefusals refusals, ILogger<LocalUser> logger)
    {
        if (!await Html.ValidFormAsync(http, antiforgery))
        {
            return Html.Page(http, "Sign in to EnvForge", "<p>The form expired. <a href=\"" + LoginPath + "\">Start again</a>.</p>", StatusCodes.Status400BadRequest);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var userName = form["userName"].ToString().Trim().ToLowerInvariant();
        var password = form["password"].ToString();
        var newPassword = form["newPassword"].ToString();
        var returnUrl = Local(form["returnUrl"]);
        var user = userName.Length is > 0 and <= LocalUsers.MaxUserNameLength ? await users.VerifyAsync(userName, password, http.RequestAborted) : null;
        if (user is null)
        {
            LogRefused(logger, userName.Length > LocalUsers.MaxUserNameLength ? "(too long)" : userName);
            refusals.Refused("wrong_credentials");
            return Html.Page(http, "Sign in to EnvForge",
                LoginForm(http, antiforgery, returnUrl, userName, "Wrong user name or password.", mustChange: false), StatusCodes.Status401Unauthorized);
        }

        if (user.MustChangePassword)
        {
            if (newPassword.Length == 0)
            {
                return Html.Page(http, "Choose a new password",
                    LoginForm(http, antiforgery, returnUrl, userName, "This was a one-time password: choose your own to go on.", mustChange: true));
            }

            var problem = LocalUsers.PasswordProblem(newPassword) ?? (newPassword == password ? "Choose a password other than the one-time one." : null);
            if (problem is not null)
            {
                return Html.Page(http, "Choose a new password", LoginForm(http, antiforgery, returnUrl, userName, problem, mustChange: true),
                    StatusCodes.Status400BadRequest);
            }

            await users.SetPasswordAsync(user.UserName, newPassword, http.RequestAborted);
        }

        var identity = new ClaimsIdentity(EmbeddedProvider.BrowserScheme, Claims.Name, Claims.Role);
        identity.AddClaim(new Claim(Claims.Subject, user.UserName));
        identity.AddClaim(new Claim(Claims.Name, user.DisplayName ?? user.UserName));
        await http.SignInAsync(EmbeddedProvider.BrowserScheme, new ClaimsPrincipal(identity));
        LogSignedIn(logger, user.UserName);
        return Results.Redirect(returnUrl ?? "/auth/done");
    }

    /// <summary>The browser flow: signed in at the provider, the person gets a code for the client (PKCE enforced by OpenIddict).</summary>
    public static async Task<IResult> AuthorizeAsync(HttpContext http, LocalUsers users, IOptions<AuthOptions> options)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null)
        {
            return Results.BadRequest();
        }

        var browser = await http.AuthenticateAsync(EmbeddedProvider.BrowserScheme);
        var user = browser.Principal?.GetClaim(Claims.Subject) is { } subject ? await users.FindAsync(subject, http.RequestAborted) : null;
        if (user is null or { Disabled: true } || request.HasPromptValue(PromptValues.Login))
        {
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + http.Request.QueryString },
                [EmbeddedProvider.BrowserScheme]);
        }

        return Results.SignIn(ProviderPrincipal.For(user, request.GetScopes(), options.Value.Audience), authenticationScheme: EmbeddedProvider.ProtocolScheme);
    }

    /// <summary>The page a device's verification URL opens: enter (or confirm) the code, then approve or deny.</summary>
    public static async Task<IResult> VerifyPageAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (await SignedInAsync(http) is null)
        {
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.Path + http.Request.QueryString }, [EmbeddedProvider.BrowserScheme]);
        }

        var code = http.Request.Query["user_code"].ToString();
        var pending = await http.AuthenticateAsync(EmbeddedProvider.ProtocolScheme);
        if (pending.Succeeded && pending.Principal.GetClaim(Claims.ClientId) is { } clientId)
        {
            return Html.Page(http, "Approve a sign-in", ApproveForm(http, antiforgery, code, clientId));
        }

        var message = code.Length > 0 ? "<p class=\"error\">That code is not valid or has expired. Check it and try again.</p>" : "";
        return Html.Page(http, "Sign in a device", message + CodeForm(), code.Length > 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
    }

    public static async Task<IResult> VerifyAsync(HttpContext http, IAntiforgery antiforgery, LocalUsers users, IOptions<AuthOptions> options, ILogger<LocalUser> logger)
    {
        if (!await Html.ValidFormAsync(http, antiforgery) || await SignedInAsync(http) is not { } subject
            || await users.FindAsync(subject, http.RequestAborted) is not { Disabled: false } user)
        {
            return Html.Page(http, "Approve a sign-in", "<p>Your sign-in or this form expired. Open the link from your terminal again.</p>", StatusCodes.Status400BadRequest);
        }

        var pending = await http.AuthenticateAsync(EmbeddedProvider.ProtocolScheme);
        if (!pending.Succeeded)
        {
            return Html.Page(http, "Approve a sign-in", "<p class=\"error\">That code is not valid or has expired.</p>" + CodeForm(), StatusCodes.Status400BadRequest);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form["decision"] != "approve")
        {
            LogDenied(logger, user.UserName);
            return Results.Forbid(new AuthenticationProperties { RedirectUri = "/auth/done?denied=1" }, [EmbeddedProvider.ProtocolScheme]);
        }

        var clientId = pending.Principal.GetClaim(Claims.ClientId) ?? "unknown";
        LogApproved(logger, user.UserName, clientId);
        return Results.SignIn(ProviderPrincipal.For(user, pending.Principal.GetScopes(), options.Value.Audience),
            new AuthenticationProperties { RedirectUri = "/auth/done" }, EmbeddedProvider.ProtocolScheme);
    }

    public static IResult Done(HttpContext http, string? denied) => denied is null
        ? Html.Page(http, "Signed in", "<p>You are signed in. You can close this window and go back to your terminal.</p>")
        : Html.Page(http, "Sign-in denied", "<p>The sign-in was denied: the device gets no access.</p>");

    /// <summary>The default redirect of the browser client: a page that tells the code arrived (a real app exchanges it).</summary>
    public static IResult Callback(HttpContext http) =>
        Html.Page(http, "Sign-in complete", "<p>The authorization code was delivered to this page. An app exchanges it at /connect/token with its PKCE verifier.</p>");

    private static async Task<string?> SignedInAsync(HttpContext http) =>
        (await http.AuthenticateAsync(EmbeddedProvider.BrowserScheme)).Principal?.GetClaim(Claims.Subject);

    /// <summary>Only a path of this site: never an open redirect.</summary>
    private static string? Local(string? url) =>
        url is { Length: > 1 } && url[0] == '/' && url[1] is not '/' and not '\\' ? url : null;

    private static string LoginForm(HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? userName, string? message, bool mustChange) =>
        (message is null ? "" : $"<p class=\"error\">{Html.Encode(message)}</p>")
        + $"""
           <form method="post" action="{LoginPath}">
             {Html.Antiforgery(http, antiforgery)}
             <input type="hidden" name="returnUrl" value="{Html.Encode(returnUrl ?? "")}">
             <label>User name <input name="userName" autocomplete="username" value="{Html.Encode(userName ?? "")}" required></label>
             <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
           """
        + (mustChange
            ? $"""<label>New password (at least {LocalUsers.MinPasswordLength} characters) <input name="newPassword" type="password" autocomplete="new-password" required></label>"""
            : "")
        + """<button type="submit">Sign in</button></form>""";

    private static string ApproveForm(HttpContext http, IAntiforgery antiforgery, string code, string clientId) => $"""
        <p><strong>{Html.Encode(clientId)}</strong> asks to sign in as you. Approve only if your terminal shows this code:</p>
        <p class="code">{Html.Encode(code)}</p>
        <form method="post" action="/connect/verify">
          {Html.Antiforgery(http, antiforgery)}
          <input type="hidden" name="user_code" value="{Html.Encode(code)}">
          <button type="submit" name="decision" value="approve">Approve</button>
          <button type="submit" name="decision" value="deny">Deny</button>
        </form>
        """;

    private static string CodeForm() => """
        <form method="get" action="/connect/verify">
          <label>The code your terminal shows <input name="user_code" autocomplete="off" required></label>
          <button type="submit">Continue</button>
        </form>
        """;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in refused for {UserName}: wrong user name or password, or a disabled account")]
    private static partial void LogRefused(ILogger logger, string userName);

    [LoggerMessage(Level = LogLevel.Information, Message = "{UserName} signed in at the provider")]
    private static partial void LogSignedIn(ILogger logger, string userName);

    [LoggerMessage(Level = LogLevel.Information, Message = "{UserName} approved a device sign-in for {ClientId}")]
    private static partial void LogApproved(ILogger logger, string userName, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{UserName} denied a device sign-in")]
    private static partial void LogDenied(ILogger logger, string userName);
}
