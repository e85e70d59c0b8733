using System.Net;
using System.Text.RegularExpressions;

namespace EnvForge.Tests.Auth;

/// <summary>
/// A person at a browser, played over real HTTP: cookies kept, redirects looked at one by one, forms read and posted
/// back with their hidden fields (the antiforgery token among them).
/// </summary>
public sealed partial class Browser : IDisposable
{
    private readonly HttpClient _http;

    public Browser(Uri baseAddress)
    {
        _http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = baseAddress,
        };
    }

    public Task<HttpResponseMessage> GetAsync(string url) => _http.GetAsync(url);

    /// <summary>Follows redirects within the provider (stops at one that leaves it, and returns it).</summary>
    public async Task<HttpResponseMessage> FollowAsync(HttpResponseMessage response)
    {
        for (var hops = 0; hops < 10 && (int)response.StatusCode is >= 300 and < 400; hops++)
        {
            var location = response.Headers.Location!;
            var target = location.IsAbsoluteUri ? location : new Uri(_http.BaseAddress!, location);
            if (target.Authority != _http.BaseAddress!.Authority)
            {
                return response;
            }

            response = await _http.GetAsync(target);
        }

        return response;
    }

    /// <summary>Posts the page's form with its hidden fields and <paramref name="fields"/>.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(HttpResponseMessage page, IDictionary<string, string> fields, string? action = null)
    {
        var html = await page.Content.ReadAsStringAsync();
        var form = FormPattern().Match(html);
        Assert.True(form.Success, $"no form on the page: {html}");
        var values = HiddenPattern().Matches(form.Value).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        foreach (var (k, v) in fields)
        {
            values[k] = v;
        }

        return await _http.PostAsync(action ?? WebUtility.HtmlDecode(form.Groups["action"].Value), new FormUrlEncodedContent(values));
    }

    /// <summary>Signs in at the provider's login page (reached by <paramref name="page"/>), replacing a one-time password when asked.</summary>
    public async Task<HttpResponseMessage> SignInAsync(HttpResponseMessage page, string userName, string password, string? newPassword = null)
    {
        var response = await SubmitAsync(page, new Dictionary<string, string> { ["userName"] = userName, ["password"] = password });
        if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("name=\"newPassword\"", StringComparison.Ordinal))
        {
            Assert.NotNull(newPassword);
            response = await SubmitAsync(response, new Dictionary<string, string> { ["userName"] = userName, ["password"] = password, ["newPassword"] = newPassword! });
        }

        return await FollowAsync(response);
    }

    /// <summary>Opens the device's verification URL, signs in if asked, and approves (or denies) the code.</summary>
    public async Task<HttpResponseMessage> ApproveDeviceAsync(string verificationUriComplete, string userName, string password, string? newPassword = null, bool approve = true)
    {
        var page = await FollowAsync(await _http.GetAsync(verificationUriComplete));
        if (page.RequestMessage!.RequestUri!.AbsolutePath == "/auth/login")
        {
            page = await SignInAsync(page, userName, password, newPassword);
        }

        await AssertOkAsync(page);
        return await FollowAsync(await SubmitAsync(page, new Dictionary<string, string> { ["decision"] = approve ? "approve" : "deny" }));
    }

    public static async Task AssertOkAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"expected 200, got {(int)response.StatusCode} {response.Headers.Location}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]*)\">.*?</form>", RegexOptions.Singleline)]
    private static partial Regex FormPattern();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenPattern();

    public void Dispose() => _http.Dispose();
}
