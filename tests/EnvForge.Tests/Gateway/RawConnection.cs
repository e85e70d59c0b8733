using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// One HTTP/1.1 connection on a raw socket: what is sent is exactly the bytes given (no client library adds, drops or
/// reorders a header), and answers are read off the wire one at a time (by Content-Length, chunks, or until the close),
/// so a connection can carry several requests, stay open as a tunnel after a 101, or be watched for the gateway closing it.
/// </summary>
public sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawConnection> OpenAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        return new RawConnection(client);
    }

    /// <summary>A WebSocket handshake's request, byte for byte; every header can be left out or spoiled by the test.</summary>
    public static string Handshake(
        string target, string host, string? cookie, string probe, string method = "GET", string? origin = null, string? version = "13",
        string? key = "dGhlIHNhbXBsZSBub25jZQ==", string extraHeaders = "") =>
        $"{method} {target} HTTP/1.1\r\nHost: {host}\r\nX-Probe: {probe}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + (version is null ? "" : $"Sec-WebSocket-Version: {version}\r\n")
        + (key is null ? "" : $"Sec-WebSocket-Key: {key}\r\n")
        + (origin is null ? "" : $"Origin: {origin}\r\n")
        + (cookie is null ? "" : $"Cookie: ef_link={cookie}\r\n")
        + extraHeaders + "\r\n";

    public async Task SendAsync(string request) => await _stream.WriteAsync(Encoding.Latin1.GetBytes(request));

    /// <summary>The next answer on the connection; status 0 when the server closed it before answering.</summary>
    public async Task<RawResponse> ReadResponseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var head = await ReadUntilAsync("\r\n\r\n", cts.Token);
        if (head is null)
        {
            return new RawResponse(0, "", "");
        }

        head = head[..^4];
        var status = head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && head.Length >= 12
            ? int.Parse(head[9..12], CultureInfo.InvariantCulture)
            : 0;
        var response = new RawResponse(status, head, "");
        if (status is 101 or 204 or 304)
        {
            return response;
        }

        if (response.HeaderValues("Content-Length") is [var length])
        {
            return response with { Body = Encoding.Latin1.GetString(await ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture), cts.Token)) };
        }

        if (response.HeaderValues("Transfer-Encoding").Any(v => v.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            var body = new StringBuilder();
            while (true)
            {
                var line = await ReadUntilAsync("\r\n", cts.Token) ?? throw new IOException("closed inside a chunked body");
                var size = int.Parse(line.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await ReadUntilAsync("\r\n", cts.Token) is { Length: > 2 })
                    {
                        // trailers
                    }

                    return response with { Body = body.ToString() };
                }

                body.Append(Encoding.Latin1.GetString(await ReadExactlyAsync(size + 2, cts.Token))[..^2]);
            }
        }

        using var rest = new MemoryStream();
        await _stream.CopyToAsync(rest, cts.Token);
        return response with { Body = Encoding.Latin1.GetString(rest.ToArray()) };
    }

    /// <summary>Only the head of the next answer (a streamed body stays on the wire); status 0 when the server closed first.</summary>
    public async Task<RawResponse> ReadHeadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var head = await ReadUntilAsync("\r\n\r\n", cts.Token);
        return head is null || !head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || head.Length < 12
            ? new RawResponse(0, head ?? "", "")
            : new RawResponse(int.Parse(head[9..12], CultureInfo.InvariantCulture), head[..^4], "");
    }

    /// <summary>Everything that arrives until the server closes the connection (or <paramref name="within"/> passes), as text.</summary>
    public async Task<(bool Closed, string Text)> ReadToCloseAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        var text = new StringBuilder();
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                text.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }

            return (true, text.ToString());
        }
        catch (OperationCanceledException)
        {
            return (false, text.ToString());
        }
        catch (IOException)
        {
            return (true, text.ToString()); // reset by the peer: closed
        }
    }

    /// <summary>
    /// Reads (and drops) whatever arrives until the server closes the connection: the time that took, or null if it was
    /// still open after <paramref name="within"/>.
    /// </summary>
    public async Task<TimeSpan?> ClosedWithinAsync(TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return clock.Elapsed;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (IOException)
        {
            return clock.Elapsed; // reset by the peer: closed
        }
    }

    /// <summary>After a 101: the connection as the client end of a WebSocket.</summary>
    public WebSocket AsWebSocket() => WebSocket.CreateFromStream(_stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });

    private async Task<string?> ReadUntilAsync(string end, CancellationToken ct)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            if (await _stream.ReadAsync(one, ct) == 0)
            {
                return null;
            }

            text.Append((char)one[0]);
        }

        return text.ToString();
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}

public static class RawResponses
{
    /// <summary>The values of every header line named <paramref name="name"/> (any case), trimmed, in order.</summary>
    public static IReadOnlyList<string> HeaderValues(this RawResponse response, string name) =>
        [.. response.Head.Split("\r\n").Skip(1)
            .Select(line => (Colon: line.IndexOf(':', StringComparison.Ordinal), Line: line))
            .Where(l => l.Colon > 0 && l.Line[..l.Colon].Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(l => l.Line[(l.Colon + 1)..].Trim())];
}
