using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// HTTP/1.1 over a plain socket, for what HttpClient will not send: headers that never end, a body slower than any
/// client would send, a Content-Length larger than what follows.
/// </summary>
public sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private NetworkStream _stream = null!;

    public static async Task<RawHttp> ConnectAsync(int port)
    {
        var raw = new RawHttp();
        await raw._tcp.ConnectAsync("localhost", port);
        raw._stream = raw._tcp.GetStream();
        return raw;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Headers of a request whose body (of <paramref name="length"/> bytes, or chunked) the caller sends.</summary>
    public static string Head(string method, string path, long? length, string? key = null) =>
        $"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n" +
        (key is null ? "" : $"Authorization: Bearer {key}\r\n") +
        (length is { } n ? $"Content-Length: {n}\r\n" : "Transfer-Encoding: chunked\r\n") + "\r\n";

    /// <summary>The response, read until the server closes the connection (every request here asks it to).</summary>
    public async Task<RawResponse> ReadResponseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var bytes = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await _stream.ReadAsync(buffer, cts.Token)) > 0) bytes.Write(buffer, 0, n);
        }
        catch (IOException) when (bytes.Length > 0)
        {
            // A reset after the response (the server did not read the rest of the body) still leaves the response.
        }
        return RawResponse.Parse(bytes.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}

public sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body)
{
    public JsonElement Error => JsonDocument.Parse(Body).RootElement.GetProperty("error");

    public static RawResponse Parse(byte[] bytes)
    {
        var split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (split < 0) throw new InvalidOperationException($"no complete response: '{Encoding.UTF8.GetString(bytes)}'");
        var lines = Encoding.ASCII.GetString(bytes, 0, split).Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = bytes[(split + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked")) body = Dechunk(body);
        return new RawResponse(int.Parse(lines[0].Split(' ')[1]), headers, Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(byte[] body)
    {
        var result = new MemoryStream();
        for (var at = 0; ;)
        {
            var end = at + body.AsSpan(at).IndexOf("\r\n"u8);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(body, at, end - at), 16);
            if (size == 0) return result.ToArray();
            result.Write(body, end + 2, size);
            at = end + 2 + size + 2;
        }
    }
}
