using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansLlm.Soak;

/// <summary>What one well-formed request gave: its status, its text, the time to the first token and to the end.</summary>
internal sealed record Answer(int Status, string Text, double FirstMs, double TotalMs, string? Error = null);

/// <summary>
/// The OpenAI-compatible calls a client of the silos makes: completions and chats, whole or streamed (server-sent
/// events), and a stream abandoned after a few tokens, as a client that goes away mid-answer.
/// </summary>
internal sealed class ApiCalls(HttpClient http)
{
    public static HttpClient Client(Uri baseAddress, string? key = SoakCluster.Key)
    {
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2),
        };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public static object Completion(string prompt, int maxTokens, bool stream) =>
        new { model = "stories260K", prompt, max_tokens = maxTokens, temperature = 0, stream };

    public static object Chat(string message, int maxTokens, bool stream) =>
        new { model = "stories260K", messages = new[] { new { role = "user", content = message } }, max_tokens = maxTokens, temperature = 0, stream };

    public async Task<Answer> Whole(string path, object body, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsJsonAsync(path, body, ct);
        var json = await response.Content.ReadAsStringAsync(ct);
        var ms = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode) return new Answer((int)response.StatusCode, "", ms, ms, ErrorOf(json));
        var choice = JsonDocument.Parse(json).RootElement.GetProperty("choices")[0];
        var text = choice.TryGetProperty("message", out var message) ? message.GetProperty("content").GetString() : choice.GetProperty("text").GetString();
        return new Answer(200, text ?? "", ms, ms);
    }

    /// <summary>A streamed answer; with <paramref name="abandonAfter"/>, the client goes away after that many events.</summary>
    public async Task<Answer> Stream(string path, object body, CancellationToken ct, int? abandonAfter = null)
    {
        var clock = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var ms = clock.Elapsed.TotalMilliseconds;
            return new Answer((int)response.StatusCode, "", ms, ms, ErrorOf(await response.Content.ReadAsStringAsync(ct)));
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var text = new System.Text.StringBuilder();
        double first = 0;
        var events = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = line[6..];
            if (data == "[DONE]") break;
            var chunk = JsonDocument.Parse(data).RootElement;
            if (chunk.TryGetProperty("error", out var error))
                return new Answer(200, text.ToString(), first, clock.Elapsed.TotalMilliseconds, error.GetProperty("message").GetString());
            if (Delta(chunk) is { Length: > 0 } piece)
            {
                if (text.Length == 0) first = clock.Elapsed.TotalMilliseconds;
                text.Append(piece);
            }
            if (++events == abandonAfter) return new Answer(200, text.ToString(), first, clock.Elapsed.TotalMilliseconds, "abandoned");
        }
        return new Answer(200, text.ToString(), first, clock.Elapsed.TotalMilliseconds);
    }

    private static string? Delta(JsonElement chunk)
    {
        if (!chunk.TryGetProperty("choices", out var choices) || choices.GetArrayLength() == 0) return null;
        var choice = choices[0];
        if (choice.TryGetProperty("delta", out var delta)) return delta.TryGetProperty("content", out var c) ? c.GetString() : null;
        return choice.TryGetProperty("text", out var t) ? t.GetString() : null;
    }

    private static string ErrorOf(string json)
    {
        try { return JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("message").GetString() ?? json; }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { return $"not the OpenAI error shape: {json[..Math.Min(120, json.Length)]}"; }
    }
}
