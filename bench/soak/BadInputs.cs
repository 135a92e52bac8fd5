using System.Net;
using System.Text;
using System.Text.Json;

namespace OrleansLlm.Soak;

/// <summary>
/// Client mistakes, each with the status the API must answer in OpenAI's error shape: never a 500, never a .NET type
/// name in the message. The soak sends them among the good requests.
/// </summary>
internal static class BadInputs
{
    public sealed record Case(string Name, int Status, Func<HttpClient, Uri, CancellationToken, Task<HttpResponseMessage>> Send);

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static ByteArrayContent Bytes(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    public static readonly Case[] All =
    [
        new("truncated JSON", 400, (h, _, ct) => h.PostAsync("v1/completions", Json("""{"model": "stories260K", "prompt": """), ct)),
        new("invalid UTF-8", 400, (h, _, ct) => h.PostAsync("v1/completions",
            Bytes([.. Encoding.UTF8.GetBytes("""{"model": "stories260K", "prompt": "Once """), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}")]), ct)),
        new("lone surrogate", 400, (h, _, ct) => h.PostAsync("v1/completions", Json("""{"model": "stories260K", "prompt": "Once \ud800"}"""), ct)),
        new("max_tokens of the wrong type", 400, (h, _, ct) => h.PostAsync("v1/completions", Json("""{"model": "stories260K", "prompt": "Once", "max_tokens": "ten"}"""), ct)),
        new("negative max_tokens", 400, (h, _, ct) => h.PostAsync("v1/completions", Json("""{"model": "stories260K", "prompt": "Once", "max_tokens": -1}"""), ct)),
        new("n = 2", 400, (h, _, ct) => h.PostAsync("v1/completions", Json("""{"model": "stories260K", "prompt": "Once", "n": 2}"""), ct)),
        new("no messages", 400, (h, _, ct) => h.PostAsync("v1/chat/completions", Json("""{"model": "stories260K", "messages": []}"""), ct)),
        new("a prompt far over the context", 400, (h, _, ct) => h.PostAsync("v1/completions",
            Json(JsonSerializer.Serialize(new { model = "stories260K", prompt = string.Concat(Enumerable.Repeat("Once upon a time there was a cat. ", 60_000)) })), ct)),
        new("a body over the limit", 413, (_, b, ct) => Raw.Send(b, "POST /v1/completions", 40L << 20, trickle: false, ct)),
        new("unknown model", 404, (h, _, ct) => h.PostAsync("v1/completions", Json("""{"model": "no-such-model", "prompt": "Once"}"""), ct)),
        new("unknown route", 404, (h, _, ct) => h.GetAsync("v1/nothing-here", ct)),
        new("wrong method", 405, (h, _, ct) => h.GetAsync("v1/completions", ct)),
        new("no API key", 401, async (_, b, ct) => { using var anonymous = ApiCalls.Client(b, key: null); return await anonymous.GetAsync("v1/models", ct); }),
        new("wrong API key", 401, async (_, b, ct) => { using var wrong = ApiCalls.Client(b, key: "not-the-key"); return await wrong.GetAsync("v1/models", ct); }),
        new("a body that trickles", 408, (_, b, ct) => Raw.Send(b, "POST /v1/completions", 200, trickle: true, ct)),
    ];

    /// <summary>Why the answer is wrong for the case, or null when it is what the API must say.</summary>
    public static async Task<string?> Judge(Case c, HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        if ((int)response.StatusCode != c.Status) return $"{c.Name}: got {(int)response.StatusCode}, want {c.Status} ({Short(body)})";
        try
        {
            var message = JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString() ?? "";
            return message.Contains("System.", StringComparison.Ordinal) || message.Contains("OrleansLlm.", StringComparison.Ordinal) || message.Contains('`')
                ? $"{c.Name}: a .NET type name in '{Short(message)}'" : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"{c.Name}: {(int)response.StatusCode} without OpenAI's error shape ({Short(body)})";
        }
    }

    private static string Short(string text) => text.Length <= 120 ? text : text[..120] + "…";

    /// <summary>
    /// Requests a server refuses before their body is in (too large, too slow): HttpClient reports the connection the
    /// server closes as a failed send, so these go over a socket of their own and read the answer whatever the send did.
    /// </summary>
    private static class Raw
    {
        public static async Task<HttpResponseMessage> Send(Uri baseAddress, string requestLine, long length, bool trickle, CancellationToken ct)
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(baseAddress.Host, baseAddress.Port, ct);
            var stream = client.GetStream();
            var head = $"{requestLine} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAuthorization: Bearer {SoakCluster.Key}\r\n" +
                       $"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
            using var sending = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var body = Body(stream, trickle, sending.Token);
            var answer = await Answer(stream, ct);
            await sending.CancelAsync();
            try { await body; } catch (Exception e) when (e is IOException or OperationCanceledException) { }
            return answer;
        }

        /// <summary>The declared body never comes whole: a byte a second (trickle), or nothing until the answer.</summary>
        private static async Task Body(Stream stream, bool trickle, CancellationToken ct)
        {
            if (!trickle) return;
            while (!ct.IsCancellationRequested)
            {
                await stream.WriteAsync("x"u8.ToArray(), ct);
                await Task.Delay(1000, ct);
            }
        }

        private static async Task<HttpResponseMessage> Answer(Stream stream, CancellationToken ct)
        {
            var reader = new StreamReader(stream, Encoding.UTF8);
            var status = await reader.ReadLineAsync(ct) ?? throw new IOException("the server closed the connection without an answer");
            int? length = null;
            var chunked = false;
            while (await reader.ReadLineAsync(ct) is { Length: > 0 } header)
            {
                if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(header[15..].Trim());
                if (header.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && header.Contains("chunked")) chunked = true;
            }
            var body = new StringBuilder();
            if (chunked)
                while (await reader.ReadLineAsync(ct) is { } size && Convert.ToInt32(size.Split(';')[0].Trim(), 16) is var n and > 0)
                {
                    body.Append(await Read(reader, n, ct));
                    await reader.ReadLineAsync(ct);
                }
            else if (length is > 0) body.Append(await Read(reader, length.Value, ct));
            return new HttpResponseMessage((HttpStatusCode)int.Parse(status.Split(' ')[1])) { Content = new StringContent(body.ToString()) };
        }

        /// <summary>n characters (the answers here are ASCII JSON, so characters are bytes).</summary>
        private static async Task<string> Read(StreamReader reader, int n, CancellationToken ct)
        {
            var buffer = new char[n];
            var read = 0;
            while (read < n && await reader.ReadAsync(buffer.AsMemory(read), ct) is var got and > 0) read += got;
            return new string(buffer, 0, read);
        }
    }
}
