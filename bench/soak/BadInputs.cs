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
        new("a body over the limit", 413, (h, _, ct) => h.PostAsync("v1/completions", Bytes(new byte[40 << 20]), ct)),
        new("unknown model", 404, (h, _, ct) => h.PostAsync("v1/completions", Json("""{"model": "no-such-model", "prompt": "Once"}"""), ct)),
        new("unknown route", 404, (h, _, ct) => h.GetAsync("v1/nothing-here", ct)),
        new("wrong method", 405, (h, _, ct) => h.GetAsync("v1/completions", ct)),
        new("no API key", 401, async (_, b, ct) => { using var anonymous = ApiCalls.Client(b, key: null); return await anonymous.GetAsync("v1/models", ct); }),
        new("wrong API key", 401, async (_, b, ct) => { using var wrong = ApiCalls.Client(b, key: "not-the-key"); return await wrong.GetAsync("v1/models", ct); }),
        new("a body that trickles", 408, (h, _, ct) => h.PostAsync("v1/completions", new Trickle(), ct)),
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

    /// <summary>A body sent a byte now and then, slower than any server should wait for.</summary>
    private sealed class Trickle : HttpContent
    {
        public Trickle() => Headers.ContentType = new("application/json");

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var body = Encoding.UTF8.GetBytes("""{"model": "stories260K", "prompt": "Once upon a time, in a land far away"}""");
            try
            {
                foreach (var b in body)
                {
                    await stream.WriteAsync(new[] { b });
                    await stream.FlushAsync();
                    await Task.Delay(1000);
                }
            }
            catch (IOException) { }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
