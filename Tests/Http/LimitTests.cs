using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;
using static OrleansLlm.Tests.Http.LimitsFixture;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// What bounds a request before work starts: the body's size (413) and pace (408), the headers' pace (408), generations
/// at once per key (429 with Retry-After, another key still served); and the key on /metrics when asked, the log of
/// refusals, and memory given back after oversized prompts are refused.
/// </summary>
[Collection(LimitsCollection.Name)]
public sealed class LimitTests(LimitsFixture api)
{
    private static readonly TimeSpan ResponseWait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ABodyDeclaredOverTheLimitIsRefusedBeforeItIsSent()
    {
        await using var raw = await RawHttp.ConnectAsync(api.Port);
        await raw.SendAsync(RawHttp.Head("POST", "/v1/completions", (MaxBodyMb + 1) * 1024L * 1024, KeyA));
        var response = await raw.ReadResponseAsync(ResponseWait);
        Assert.Equal(413, response.Status);
        Assert.Equal("request_too_large", response.Error.GetProperty("code").GetString());
        Assert.Contains($"limit of {MaxBodyMb} MB", response.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimitIs413()
    {
        await using var raw = await RawHttp.ConnectAsync(api.Port);
        await raw.SendAsync(RawHttp.Head("POST", "/v1/completions", null, KeyA));
        var chunk = Encoding.ASCII.GetBytes($"100000\r\n{new string(' ', 0x100000)}\r\n");
        try
        {
            for (var i = 0; i <= MaxBodyMb; i++) await raw.SendAsync(chunk);
        }
        catch (IOException)
        {
            // The server answered and closed while the body was still coming.
        }
        var response = await raw.ReadResponseAsync(ResponseWait);
        Assert.Equal(413, response.Status);
        Assert.Equal("request_too_large", response.Error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ABodySlowerThanTheMinimumRateIs408()
    {
        await using var raw = await RawHttp.ConnectAsync(api.Port);
        await raw.SendAsync(RawHttp.Head("POST", "/v1/completions", 1000, KeyA));
        await raw.SendAsync("{\"model\": ");
        var response = await raw.ReadResponseAsync(ResponseWait);
        Assert.Equal(408, response.Status);
        Assert.Equal("request_timeout", response.Error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task HeadersThatNeverEndAre408()
    {
        await using var raw = await RawHttp.ConnectAsync(api.Port);
        await raw.SendAsync("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n");
        Assert.Equal(408, (await raw.ReadResponseAsync(ResponseWait)).Status);
    }

    [Fact]
    public async Task EachKeyRunsAtMostItsGenerationsAtOnceWhileAnotherKeyIsServed()
    {
        var held = new List<HeldRequest>();
        for (var i = 0; i < MaxConcurrent; i++) held.Add(await HeldRequest.StartAsync(api.Port, KeyA));
        using var a = api.Client(KeyA);
        // The held requests take their slots as soon as the server has their headers; until then a request may pass.
        // A loaded machine may take seconds to read their headers: try for a while, not a number of times.
        HttpResponseMessage refused;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((refused = await a.PostAsync("v1/completions", Completion())).StatusCode != HttpStatusCode.TooManyRequests)
        {
            Assert.True(DateTime.UtcNow < deadline, $"key A was never refused: {refused.StatusCode}");
            await Task.Delay(50);
        }
        var error = await ClientMistakeTests.ErrorOf(refused, 429);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, (await api.Client(KeyB).PostAsync("v1/completions", Completion())).StatusCode);
        foreach (var request in held) Assert.Equal(200, (await request.FinishAsync()).Status);
        Assert.Equal(HttpStatusCode.OK, (await a.PostAsync("v1/completions", Completion())).StatusCode);
    }

    private static StringContent Completion() =>
        new("""{"model": "stories260K", "prompt": "Once", "max_tokens": 2}""", Encoding.UTF8, "application/json");

    /// <summary>A completion whose body keeps coming (spaces, well above the minimum rate) until it is finished.</summary>
    private sealed class HeldRequest
    {
        private readonly CancellationTokenSource _stop = new();
        private RawHttp _raw = null!;
        private Task _trickle = null!;

        public static async Task<HeldRequest> StartAsync(int port, string key)
        {
            var held = new HeldRequest { _raw = await RawHttp.ConnectAsync(port) };
            // Kestrel weighs a body's rate over all its time (bytes so far / seconds so far), so 64 KB sent with the head
            // keeps the request above 240 B/s for over four minutes even if the trickle below is not run for a while (a
            // starved thread pool on a loaded 2-core machine once held it past the 2 s grace and the slots were freed).
            await held._raw.SendAsync(RawHttp.Head("POST", "/v1/completions", null, key) + Chunk(new string(' ', 64 * 1024)));
            held._trickle = Task.Run(async () =>
            {
                while (!held._stop.IsCancellationRequested)
                {
                    // 1,000 bytes a round: the body keeps coming for as long as the test holds it.
                    await held._raw.SendAsync(Chunk(new string(' ', 1000)));
                    await Task.Delay(50);
                }
            });
            return held;
        }

        public async Task<RawResponse> FinishAsync()
        {
            await _stop.CancelAsync();
            await _trickle;
            await _raw.SendAsync(Chunk("""{"model": "stories260K", "prompt": "Once", "max_tokens": 2}""") + "0\r\n\r\n");
            var response = await _raw.ReadResponseAsync(ResponseWait);
            await _raw.DisposeAsync();
            return response;
        }

        private static string Chunk(string data) => $"{Encoding.UTF8.GetByteCount(data):x}\r\n{data}\r\n";
    }

    [Fact]
    public async Task MetricsNeedTheKeyWhenGuardedWhileProbesStayOpen()
    {
        using var anonymous = api.Client(null);
        var error = await ClientMistakeTests.ErrorOf(await anonymous.GetAsync("metrics"), 401);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Contains("orleans_", await api.Client(KeyB).GetStringAsync("metrics"));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("ready")).StatusCode);
    }

    [Fact]
    public async Task ARefusalIsLoggedInOneLineWithMethodPathStatusAndReason()
    {
        var body = new StringContent("""{"model": "stories260K", "prompt": "x", "max_tokens": "abc"}""", Encoding.UTF8, "application/json");
        await ClientMistakeTests.ErrorOf(await api.Http.PostAsync("v1/completions", body), 400);
        Assert.Contains(api.Logs.Lines, l => l == "Information OrleansLlm.Silo.Http: POST /v1/completions 400: max_tokens must be an integer");
    }

    [Fact]
    public async Task MemoryComesBackAfterOversizedPromptsAreRefused()
    {
        // About 6 MB of JSON, a 12 MB string once read: far past the context of 512 tokens.
        var prompt = string.Concat(Enumerable.Repeat("Once upon a time,\nthere was a prompt far too long. ", 120_000));
        var body = JsonSerializer.SerializeToUtf8Bytes(new { model = "stories260K", prompt });
        async Task Refused()
        {
            var content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
            var error = await ClientMistakeTests.ErrorOf(await api.Http.PostAsync("v1/completions", content), 400);
            Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        }
        await Refused(); // the first fills pools and caches that later requests reuse
        var before = Settled();
        for (var i = 0; i < 6; i++) await Refused();
        var grown = Settled() - before;
        // Six requests holding on to their bodies alone would keep 36 MB; what they share (pools, caches) the first filled.
        // The prompt's \n escapes matter: unescaped through the shared ArrayPool, each thread would keep an 8 MB buffer.
        Assert.True(grown < 8 << 20, $"{grown >> 20} MB more managed memory after six refused 6 MB prompts");
    }

    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
