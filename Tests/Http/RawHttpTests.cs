using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansLlm.Engine;
using OrleansLlm.Engine.Chat;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>The OpenAI-compatible API over plain HTTP: shapes, streams, usage, errors and their statuses.</summary>
[Collection(FrontDoorCollection.Name)]
public sealed class RawHttpTests(FrontDoorFixture api)
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, object body, HttpClient? client = null)
    {
        var response = await (client ?? api.Http).PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task ModelsAreListedWithTheKeyAndRefusedWithoutIt()
    {
        var models = await api.Http.GetFromJsonAsync<JsonElement>("v1/models");
        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Contains(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "stories260K");
        using var anonymous = new HttpClient { BaseAddress = api.BaseAddress };
        var refused = await anonymous.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("ready")).StatusCode);
    }

    [Fact]
    public async Task AWholeResponseTellsTheGenerationsOwnTime()
    {
        var response = await api.Http.PostAsync("v1/completions", JsonContent.Create(new { model = "stories260K", prompt = "Once", max_tokens = 1 }));
        var ms = double.Parse(response.Headers.GetValues("X-Olm-Generation-Ms").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ms, 0.001, 60_000);
    }

    [Fact]
    public async Task AGreedyCompletionIsTransformersText()
    {
        var (status, body) = await Post("v1/completions", new { model = "stories260K", prompt = DemoModelTests.Prompt, max_tokens = 60, temperature = 0 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.StartsWith(DemoModelTests.TransformersGreedy, choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(5, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(60, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(65, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task AStreamedChatIsTheWholeChatInChunksWithUsageLast()
    {
        var messages = new[] { new { role = "system", content = "Tom had a red ball." }, new { role = "user", content = "One day, Tom" } };
        var (_, whole) = await Post("v1/chat/completions", new { model = "stories260K", messages, max_tokens = 20, temperature = 0 });
        var request = new { model = "stories260K", messages, max_tokens = 20, temperature = 0, stream = true, stream_options = new { include_usage = true } };
        var response = await api.Http.PostAsync("v1/chat/completions", JsonContent.Create(request));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => Assert.IsType<string>(e).StartsWith("data: ") ? e[6..] : throw new Xunit.Sdk.XunitException(e)).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta")).Select(d => d.TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), text);
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Empty(chunks[^1].GetProperty("choices").EnumerateArray());
        Assert.Equal(PromptTokensOf(messages.Select(m => new ChatMessage(m.role, m.content)).ToList()),
            chunks[^1].GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    /// <summary>The chat template's text, tokenized without added special tokens (apply_chat_template's count).</summary>
    private static int PromptTokensOf(List<ChatMessage> messages)
    {
        var chat = ModelChat.Load(DemoModelTests.Dir);
        using var model = LocalModel.Load(DemoModelTests.Dir);
        return model.Tokenizer!.Encode(new ChatTemplate(chat.TemplateSource!).Render(messages, chat.SpecialTokens), addSpecialTokens: false).Length;
    }

    [Fact]
    public async Task AClientThatLeavesCancelsItsGenerationAndFreesItsKv()
    {
        var request = new { model = "stories260K", prompt = DemoModelTests.Prompt, max_tokens = 500, temperature = 0, stream = true, ignore_eos = true };
        using (var cts = new CancellationTokenSource())
        {
            var message = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = JsonContent.Create(request) };
            using var response = await api.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            Assert.StartsWith("data: ", await reader.ReadLineAsync(cts.Token));
            Assert.True((await Kv()).Active > 0);
            cts.Cancel();
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        // A request removed while its batch runs gives its blocks back when the batch ends: wait for both.
        while (await Kv() is not (0, 0) && DateTime.UtcNow < deadline) await Task.Delay(100);
        var (active, blocks) = await Kv();
        Assert.Equal(0, active);
        Assert.Equal(0, blocks);
    }

    private async Task<(int Active, int BlocksUsed)> Kv()
    {
        var d = (await api.Cluster.GetGrain<IDeploymentGrain>("stories260K").GetAsync())!;
        var s = await api.Cluster.GetGrain<IShardGrain>(d.Shards[0].GrainKey).StatusAsync();
        return (s.ActiveRequests, s.KvBlocksUsed);
    }

    [Fact]
    public async Task MetricsAreOrleansAndOursInPrometheusText()
    {
        await Post("v1/completions", new { model = "stories260K", prompt = "Once", max_tokens = 3 });
        using var anonymous = new HttpClient { BaseAddress = api.BaseAddress };
        var text = await anonymous.GetStringAsync("metrics");
        foreach (var name in new[] { "olm_requests_total{", "olm_prompt_tokens_total{", "olm_generated_tokens_total{",
                     "olm_time_to_first_token_seconds_bucket{", "olm_inter_token_latency_seconds_bucket{", "olm_kv_blocks_used{",
                     "olm_kv_blocks_total{", "olm_weights_bytes{", "olm_kv_reserved_bytes{", "olm_kv_resident_bytes{", "orleans_" })
            Assert.Contains(name, text);
    }
}
