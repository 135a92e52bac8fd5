using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Bench;

/// <summary>Runs a scenario on one deployment: warm-up, then repeats, reporting medians.</summary>
internal sealed class BenchRunner(IClusterClient client, int warmup, int repeats, int concurrency, TextWriter log)
{
    public async Task<BenchResult> DecodeAsync(DeploymentInfo d, int promptTokens, int tokens, CancellationToken ct)
    {
        var runs = new List<GenerationStats>();
        var throughputs = new List<double>();
        for (var i = 0; i < warmup + repeats; i++)
        {
            // Concurrent requests (distinct prompts) show whether stages overlap: total tokens over the wall time.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var run = i;
            var all = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(c =>
                Generate(d, BenchPrompts.Random(promptTokens, d.VocabSize, 100 * run + c), tokens, ct)));
            var throughput = concurrency * tokens / clock.Elapsed.TotalSeconds;
            if (i >= warmup)
            {
                runs.AddRange(all);
                throughputs.Add(throughput);
            }
            log.WriteLine($"  {(i < warmup ? "warm-up" : "run")} {i + 1}: {all.Average(s => s.DecodeMsPerToken):F2} ms/token, {throughput:F1} tok/s in all");
        }
        var ranksPerStage = d.Shards.Count(s => s.Stage == 0);
        return Result(d) with
        {
            PromptTokens = promptTokens,
            TtftMs = Median(runs, s => s.TimeToFirstTokenMs),
            DecodeTokensPerS = Median(runs, s => s.DecodeTokensPerSecond),
            DecodeMsPerToken = Median(runs, s => s.DecodeMsPerToken),
            ComputeMsPerToken = Median(runs, s => s.ComputeMsPerToken),
            AllReduceWaitMsPerToken = Median(runs, s => s.AllReduceWaitMsPerToken),
            MessagesPerToken = Median(runs, s => s.MessagesPerToken),
            BytesPerToken = Median(runs, s => s.BytesPerToken),
            AllReduceMs = ranksPerStage > 1 ? Median(runs, s => s.AllReduceWaitMsPerToken) / (2.0 * d.Layers) : 0,
            Concurrency = concurrency,
            ThroughputTokensPerS = throughputs.Order().ElementAt(throughputs.Count / 2),
        };
    }

    public async Task<BenchResult> PrefillAsync(DeploymentInfo d, int promptTokens, CancellationToken ct)
    {
        var runs = new List<GenerationStats>();
        for (var i = 0; i < warmup + repeats; i++)
        {
            var stats = await Generate(d, BenchPrompts.Random(promptTokens, d.VocabSize, i), 1, ct);
            if (i >= warmup) runs.Add(stats);
            log.WriteLine($"  {(i < warmup ? "warm-up" : "run")} {i + 1}: {stats.TimeToFirstTokenMs:F1} ms to first token");
        }
        var median = runs.OrderBy(s => s.TimeToFirstTokenMs).ElementAt(runs.Count / 2);
        return Result(d) with
        {
            PromptTokens = promptTokens, TtftMs = Median(runs, s => s.TimeToFirstTokenMs),
            BusyMsPerShard = median.PrefillBusyMsPerShard, TokensPerShard = median.PrefillTokensPerShard,
        };
    }

    private async Task<GenerationStats> Generate(DeploymentInfo d, int[] prompt, int tokens, CancellationToken ct)
    {
        GenerationStats? stats = null;
        var request = new GenerateRequest { DeploymentId = d.Id, PromptIds = prompt, MaxTokens = tokens, IgnoreEos = true };
        await foreach (var chunk in client.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request, ct))
            stats = chunk.Stats ?? stats;
        return stats ?? throw new OlmException("the request ended without statistics");
    }

    private static BenchResult Result(DeploymentInfo d) =>
        new()
        {
            Shards = d.Shards.Length, Strategy = EnumText<Strategy>.Name(d.Spec.Strategy),
            AllReduce = EnumText<AllReduceAlgorithm>.Name(d.Spec.AllReduce),
            Prefill = d.Spec.Prefill is { } p ? EnumText<PrefillAlgorithm>.Name(p) : null,
            Sparsity = d.Spec.Sparsity.Sparsity,
            SparsityMode = d.Spec.Sparsity.IsOff ? null : EnumText<SparsityChoice>.Name(d.Spec.Sparsity.ChoiceFor(d.Spec.Model)),
            SparsityRecall = d.Spec.Sparsity.Recall,
        };

    private static double Median(List<GenerationStats> runs, Func<GenerationStats, double> f)
    {
        var values = runs.Select(f).Order().ToArray();
        return values.Length == 0 ? 0 : values.Length % 2 == 1 ? values[values.Length / 2]
            : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }
}
