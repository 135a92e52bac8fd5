using System.Diagnostics;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Bench;

/// <summary>
/// The serving benchmark: N requests with prompt lengths cycling through a list, at most C in flight (a finished one is
/// replaced at once), each generating exactly T tokens. One warm-up wave first; the median run by throughput is kept.
/// </summary>
internal sealed class ServeRunner(IClusterClient client, int warmup, int repeats, TextWriter log)
{
    public async Task<ServeResult> RunAsync(DeploymentInfo d, int requests, int concurrency, int[] lengths, int tokens,
        CancellationToken ct)
    {
        if (requests < 1 || concurrency < 1) throw new ArgumentException("--requests and --concurrency must be at least 1");
        for (var i = 0; i < warmup; i++)
        {
            // The same shapes as the measured run, so one-time work (kernel plans, CUDA graph captures) is done by then.
            await Run(d, Math.Min(requests, concurrency), concurrency, lengths, tokens, 1000 * (i + 1), ct);
            log.WriteLine($"  warm-up {i + 1} done");
        }
        var runs = new List<ServeResult>();
        for (var i = 0; i < repeats; i++)
        {
            var run = await Run(d, requests, concurrency, lengths, tokens, i, ct);
            log.WriteLine($"  run {i + 1}: {run.OutputTokensPerS:F1} tok/s, TTFT p50 {run.TtftMsP50:F1} ms, ITL p50 {run.ItlMsP50:F2} ms p99 {run.ItlMsP99:F2} ms");
            runs.Add(run);
        }
        return runs.OrderBy(r => r.OutputTokensPerS).ElementAt(runs.Count / 2);
    }

    private async Task<ServeResult> Run(DeploymentInfo d, int requests, int concurrency, int[] lengths, int tokens, int seed,
        CancellationToken ct)
    {
        var ttft = new List<double>();
        var itl = new List<double>();
        var rows = new List<double>();
        var next = 0;
        var clock = Stopwatch.StartNew();
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) - 1 is var i && i < requests)
            {
                var (first, gaps, batch) = await One(d, BenchPrompts.Random(lengths[i % lengths.Length], d.VocabSize, seed * 100_000 + i), tokens, ct);
                lock (ttft) { ttft.Add(first); itl.AddRange(gaps); rows.Add(batch); }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, requests)).Select(_ => Worker()));
        var wall = clock.Elapsed.TotalSeconds;
        return new ServeResult
        {
            Shards = d.Shards.Length, Strategy = EnumText<Strategy>.Name(d.Spec.Strategy), Requests = requests,
            Concurrency = concurrency, PromptTokens = lengths, Tokens = tokens, WallS = wall,
            OutputTokensPerS = (double)requests * tokens / wall,
            TtftMsP50 = Percentile(ttft, 50), TtftMsP99 = Percentile(ttft, 99),
            ItlMsP50 = Percentile(itl, 50), ItlMsP99 = Percentile(itl, 99), BatchRows = rows.Count == 0 ? 0 : rows.Average(),
        };
    }

    /// <summary>One request: time to its first token as the client saw it, the server's gaps between tokens, batch size.</summary>
    private async Task<(double First, List<double> Gaps, double BatchRows)> One(DeploymentInfo d, int[] prompt, int tokens,
        CancellationToken ct)
    {
        var request = new GenerateRequest { DeploymentId = d.Id, PromptIds = prompt, MaxTokens = tokens, IgnoreEos = true };
        var clock = Stopwatch.StartNew();
        double? first = null;
        var stamps = new List<double>();
        GenerationStats? stats = null;
        await foreach (var chunk in client.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request, ct))
        {
            first ??= clock.Elapsed.TotalMilliseconds;
            if (chunk.Ids.Length > 0) stamps.Add(chunk.ElapsedMs);
            stats = chunk.Stats ?? stats;
        }
        var gaps = stamps.Zip(stamps.Skip(1), (a, b) => b - a).ToList();
        return (first ?? 0, gaps, stats?.BatchRowsPerStep ?? 0);
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var (lo, hi) = ((int)Math.Floor(rank), (int)Math.Ceiling(rank));
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
