using System.Diagnostics;

namespace OrleansLlm.Soak;

/// <summary>
/// One client of the API in a loop, each turn one of: a completion or a chat, whole or streamed; a stream it abandons
/// after a few tokens; a client mistake from <see cref="BadInputs"/>. Greedy answers must equal the undisturbed run's.
/// </summary>
internal sealed class LoadUser(Router router, Uri[] silos, References references, Tally tally, Func<double, double, bool> disrupted,
    Stopwatch clock, int seed)
{
    private const int Tokens = References.Tokens;
    private readonly Random _random = new(seed);

    private static readonly (string Kind, int Weight)[] Mix =
        [("completion", 30), ("completion stream", 20), ("chat", 15), ("chat stream", 15), ("abandoned stream", 8), ("bad input", 12)];

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (router.Pick() is not { } target)
            {
                await Task.Delay(200, CancellationToken.None);
                continue;
            }
            await Turn(Choose(), target.Silo, target.Http);
        }
    }

    private string Choose()
    {
        var roll = _random.Next(Mix.Sum(m => m.Weight));
        foreach (var (kind, weight) in Mix)
            if ((roll -= weight) < 0) return kind;
        return Mix[0].Kind;
    }

    private async Task Turn(string kind, int silo, HttpClient http)
    {
        var start = clock.Elapsed.TotalSeconds;
        var prompt = references.Prompts[_random.Next(references.Prompts.Length)];
        var calls = new ApiCalls(http);
        // A turn never hangs the soak: two minutes is far beyond any answer here.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            switch (kind)
            {
                case "bad input": await Mistake(http, silos[silo], start, limit.Token); return;
                case "abandoned stream":
                    var cut = await calls.Stream("v1/completions", ApiCalls.Completion(prompt, 200, stream: true), limit.Token, abandonAfter: 3);
                    Judge(kind, cut, null, start, 0);
                    return;
            }
            var chat = kind.StartsWith("chat", StringComparison.Ordinal);
            var stream = kind.EndsWith("stream", StringComparison.Ordinal);
            var (path, body) = chat ? ("v1/chat/completions", ApiCalls.Chat(prompt, Tokens, stream)) : ("v1/completions", ApiCalls.Completion(prompt, Tokens, stream));
            var answer = stream ? await calls.Stream(path, body, limit.Token) : await calls.Whole(path, body, limit.Token);
            Judge(kind, answer, chat ? references.Chat[prompt] : references.Completion[prompt], start, stream ? answer.FirstMs : answer.TotalMs);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or OperationCanceledException
                                   or System.Text.Json.JsonException)
        {
            Lost(kind, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}", start);
        }
    }

    private void Judge(string kind, Answer a, string? want, double start, double latencyMs)
    {
        var end = clock.Elapsed.TotalSeconds;
        if (a.Error == "abandoned") tally.Add(new Outcome(kind, Verdict.Abandoned, null, start, end, 0));
        else if (a.Status != 200 || a.Error is not null) Lost(kind, $"{a.Status}: {a.Error}", start);
        else if (want is not null && a.Text != want) tally.Add(new Outcome(kind, Verdict.Failed, $"{kind}: text unlike the undisturbed run's", start, end, 0));
        else tally.Add(new Outcome(kind, Verdict.Served, null, start, end, latencyMs));
    }

    /// <summary>A request that did not complete: expected while a silo is down and its deployment recovers, a failure otherwise.</summary>
    private void Lost(string kind, string why, double start)
    {
        var end = clock.Elapsed.TotalSeconds;
        tally.Add(new Outcome(kind, disrupted(start, end) ? Verdict.LostToTheKill : Verdict.Failed, $"{kind}: {why}", start, end, 0));
    }

    private async Task Mistake(HttpClient http, Uri silo, double start, CancellationToken ct)
    {
        var c = BadInputs.All[_random.Next(BadInputs.All.Length)];
        string? wrong;
        try
        {
            using var response = await c.Send(http, silo, ct);
            wrong = await BadInputs.Judge(c, response, ct);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            wrong = $"{c.Name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
        }
        var end = clock.Elapsed.TotalSeconds;
        tally.Add(wrong is null ? new Outcome("bad input", Verdict.Refused, c.Name, start, end, 0)
            : new Outcome("bad input", disrupted(start, end) ? Verdict.LostToTheKill : Verdict.Failed, wrong, start, end, 0));
    }
}
