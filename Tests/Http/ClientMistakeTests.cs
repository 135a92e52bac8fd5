using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrleansLlm.Grains.Requests;
using OrleansLlm.Tests.Engine;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// A client's mistake is a 4xx in OpenAI's shape, naming the field at fault as param and never a .NET type: wrong JSON
/// kinds, broken encodings, unknown routes and methods, prompts over the context (the oversized ones refused by their
/// length, untokenized).
/// </summary>
[Collection(FrontDoorCollection.Name)]
public sealed class ClientMistakeTests(FrontDoorFixture api)
{
    private static readonly string LongStory = string.Concat(Enumerable.Repeat("Once upon a time ", 300));
    private static readonly string ManyTokens = string.Concat(Enumerable.Repeat("a ", 1500));

    private const string Completions = "v1/completions", Chat = "v1/chat/completions";

    public static TheoryData<string, string, int, string, string?, string?> Refusals => new()
    {
        { Completions, """{"model": "nope", "prompt": "x"}""", 404, "The model 'nope' does not exist", "model", "model_not_found" },
        { Completions, """{"model": "stories260K", "prompt": "x",""", 400, "the body is not valid JSON", null, null },
        { Completions, "", 400, "the body is not valid JSON", null, null },
        { Completions, "[1]", 400, "the body must be a JSON object", null, null },
        { Completions, "null", 400, "the body must be a JSON object", null, null },
        { Completions, """{"model": "stories260K", "prompt": "x", "presence_penalty": 0.5}""", 400, "presence_penalty is not supported", "presence_penalty", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "n": 2}""", 400, "n must be 1", "n", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "max_tokens": 600}""", 400, "exceeds the model context (512)", "max_tokens", "context_length_exceeded" },
        { Completions, """{"model": "stories260K", "prompt": [1, 2, 999]}""", 400, "token id 999 at position 2 is outside the vocabulary", "prompt", null },
        { Completions, """{"model": "stories260K", "prompt": ""}""", 400, "prompt is empty", "prompt", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "temperature": -1}""", 400, "temperature must be >= 0", "temperature", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "top_k": -1}""", 400, "top_k must be >= 0", "top_k", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "stop": [""]}""", 400, "stop strings must not be empty", "stop", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "max_tokens": "abc"}""", 400, "max_tokens must be an integer", "max_tokens", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "max_tokens": 3.5}""", 400, "max_tokens must be an integer", "max_tokens", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "temperature": "hot"}""", 400, "temperature must be a number", "temperature", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "stream": "yes"}""", 400, "stream must be true or false", "stream", null },
        { Completions, """{"model": "stories260K", "prompt": "x", "stream_options": 3}""", 400, "stream_options must be an object", "stream_options", null },
        { Completions, """{"model": "stories260K", "prompt": "\ud800"}""", 400, "lone surrogate escape \\ud800", null, null },
        { Completions, """{"model": "stories260K", "prompt": "x\udc00y"}""", 400, "lone surrogate escape \\udc00", null, null },
        { Completions, $$"""{"model": "stories260K", "prompt": "{{LongStory}}"}""", 400,
            "the prompt is 5100 characters, more than the model's context of 512 tokens can hold", "prompt", "context_length_exceeded" },
        { Completions, $$"""{"model": "stories260K", "prompt": "{{ManyTokens}}"}""", 400,
            "the prompt is more than 512 tokens, the model's context length", "prompt", "context_length_exceeded" },
        { Chat, """{"model": "stories260K", "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}""",
            400, "Conversation roles must alternate user/assistant/user/assistant/...", "messages", null },
        { Chat, """{"model": "stories260K", "messages": []}""", 400, "messages must hold at least one message", "messages", null },
        { Chat, """{"model": "stories260K", "messages": 5}""", 400, "messages must be a list", "messages", null },
        { Chat, """{"model": "stories260K", "messages": [{"role": 5, "content": "a"}]}""", 400, "messages[0].role must be a string", "messages[0].role", null },
        { Chat, """{"model": "stories260K", "messages": [{"role": "user", "content": [{"type": 5}]}]}""", 400,
            "messages[0].content is not supported", "messages[0].content", null },
        { Chat, """{"model": "stories260K", "messages": [{"role": "user", "content": "a"}], "response_format": {"type": 5}}""", 400,
            "response_format is not supported", "response_format", null },
        { Chat, """{"model": "llama-tiny", "messages": [{"role": "user", "content": "a"}]}""", 400, "has no chat template", "messages", null },
        { Chat, $$"""{"model": "stories260K", "messages": [{"role": "user", "content": "{{LongStory}}"}]}""", 400,
            "the conversation is 5100 characters, more than the model's context of 512 tokens can hold", "messages", "context_length_exceeded" },
    };

    [Theory, MemberData(nameof(Refusals))]
    public async Task RefusalsAreOpenAiErrorsNamingTheField(string path, string body, int status, string message, string? param, string? code)
    {
        var response = await api.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var error = await ErrorOf(response, status);
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task InvalidUtf8IsABadRequest()
    {
        byte[] body = [.. """{"model": "stories260K", "prompt": "a"""u8, 0xC3, 0x28, .. "\"}"u8];
        var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        var error = await ErrorOf(await api.Http.PostAsync(Completions, content), 400);
        var at = Array.IndexOf(body, (byte)0xC3);
        Assert.Equal($"the body is not valid UTF-8 (byte {at}); JSON text must be UTF-8", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AnOversizedPromptIsRefusedWithoutTokenizingIt()
    {
        var tokenizer = api.Services.GetRequiredService<TokenizerCache>().Get(DemoModelTests.Dir);
        var prompt = new string('x', 2_000_000);
        var before = tokenizer.PiecesEncoded;
        var response = await api.Http.PostAsync(Completions, new StringContent(
            JsonSerializer.Serialize(new { model = "stories260K", prompt }), Encoding.UTF8, "application/json"));
        var error = await ErrorOf(response, 400);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Equal(before, tokenizer.PiecesEncoded);
    }

    [Fact]
    public async Task UnknownRoutesAndWrongMethodsAreOpenAiErrors()
    {
        var missing = await ErrorOf(await api.Http.GetAsync("v1/nothing"), 404);
        Assert.StartsWith("Invalid URL (GET /v1/nothing)", missing.GetProperty("message").GetString());
        var wrongMethod = await api.Http.GetAsync(Completions);
        Assert.Equal("POST", wrongMethod.Content.Headers.Allow.Single());
        Assert.Contains("use POST", (await ErrorOf(wrongMethod, 405)).GetProperty("message").GetString());
        var postHealth = await api.Http.PostAsync("health", new StringContent(""));
        Assert.Equal(["GET", "HEAD"], postHealth.Content.Headers.Allow.Order());
        await ErrorOf(postHealth, 405);
    }

    [Theory]
    [InlineData("bearer"), InlineData("BEARER"), InlineData("Bearer")]
    public async Task TheBearerSchemeIsCaseInsensitive(string scheme)
    {
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"{scheme} {FrontDoorFixture.Key}");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("v1/models")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, "wrong-key");
        await ErrorOf(await client.GetAsync("v1/models"), 401);
    }

    [Fact]
    public async Task HealthIsLivenessAndReadyListsTheServedModels()
    {
        using var anonymous = new HttpClient { BaseAddress = api.BaseAddress };
        Assert.Equal("""{"status":"ok"}""", await anonymous.GetStringAsync("health"));
        var ready = JsonDocument.Parse(await anonymous.GetStringAsync("ready")).RootElement;
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Contains("stories260K", ready.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
    }

    /// <summary>The error of a response with this status, in OpenAI's shape, its message free of .NET type names.</summary>
    internal static async Task<JsonElement> ErrorOf(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{(int)response.StatusCode} {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        var message = error.GetProperty("message").GetString()!;
        foreach (var internalName in new[] { "System.", "OrleansLlm.", "`1", "Microsoft." }) Assert.DoesNotContain(internalName, message);
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), text);
        return error;
    }
}
