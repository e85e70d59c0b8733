using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>The provider's few HTML pages: encoded values only, no scripts, never framed, never cached.</summary>
internal static class Html
{
    public static string Encode(string value) => HtmlEncoder.Default.Encode(value);

    public static string Antiforgery(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{Encode(tokens.FormFieldName)}\" value=\"{Encode(tokens.RequestToken ?? "")}\">";
    }

    public static async Task<bool> ValidFormAsync(HttpContext http, IAntiforgery antiforgery) =>
        http.Request.HasFormContentType && await antiforgery.IsRequestValidAsync(http);

    public static IResult Page(HttpContext http, string title, string body, int status = StatusCodes.Status200OK)
    {
        var headers = http.Response.Headers;
        headers.CacheControl = "no-store";
        headers["X-Frame-Options"] = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
        return Results.Content($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>{{Encode(title)}}</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0}
            input{display:block;width:100%;padding:.4rem}button{margin:.8rem .4rem 0 0;padding:.5rem 1rem}.error{color:#b00}
            .code{font:700 1.6rem monospace;letter-spacing:.2rem}</style></head>
            <body><h1>{{Encode(title)}}</h1>
            {{body}}
            </body></html>
            """, "text/html; charset=utf-8", statusCode: status);
    }
}
