using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Bench;

/// <summary>The bench table as markdown on stdout (ready for docs/BENCHMARKS.md), or one JSON object.</summary>
internal static class BenchReport
{
    public static void Print(string scenario, DeploySpec spec, List<BenchResult> results, bool json)
    {
        if (json)
        {
            var first = results.FirstOrDefault();
            JsonLine.Write(new
            {
                scenario, model = spec.Model, device = spec.Device, dtype = EnumText<DType>.Name(spec.DType),
                decode_tokens_per_s = first?.DecodeTokensPerS ?? 0, ttft_ms = first?.TtftMs ?? 0, results, run = RunInfo.Current(),
            });
            return;
        }
        if (scenario == "decode")
        {
            Row("shards", "strategy", "all-reduce", "ms/token", "tok/s", "compute ms", "all-reduce wait ms", "messaging ms",
                "msgs/token", "KiB/token", "ms per all-reduce", "concurrent", "total tok/s");
            Row(Enumerable.Repeat("---", 13).ToArray());
            foreach (var r in results)
                Row(r.Shards.ToString(), r.Strategy, r.Shards == 1 ? "-" : r.AllReduce, F(r.DecodeMsPerToken),
                    F(r.DecodeTokensPerS), F(r.ComputeMsPerToken), F(r.AllReduceWaitMsPerToken), F(r.MessagingMsPerToken),
                    F(r.MessagesPerToken, "F0"), F(r.BytesPerToken / 1024, "F1"), r.AllReduceMs > 0 ? F(r.AllReduceMs, "F3") : "-",
                    r.Concurrency.ToString(), F(r.ThroughputTokensPerS, "F1"));
            PrintMemory(results.Select(r => (r.Shards, r.DecodeMsPerToken, r.Memory)));
            PrintSparsity(results);
            return;
        }
        Row("shards", "strategy", "prefill", "prompt tokens", "TTFT ms", "busy ms per shard", "tokens per shard");
        Row("---", "---", "---", "---", "---", "---", "---");
        foreach (var r in results)
            Row(r.Shards.ToString(), r.Strategy, r.Prefill ?? "-", r.PromptTokens.ToString(), F(r.TtftMs),
                r.BusyMsPerShard is null ? "-" : string.Join(" / ", r.BusyMsPerShard.Select(b => F(b, "F0"))),
                r.TokensPerShard is null ? "-" : string.Join(" / ", r.TokensPerShard));
        PrintMemory(results.Select(r => (r.Shards, r.TtftMs, r.Memory)));
    }

    /// <summary>With --sparsities: each sparsity's decode speed against the dense run of the same shards.</summary>
    private static void PrintSparsity(List<BenchResult> results)
    {
        if (!results.Any(r => r.Sparsity > 0)) return;
        Console.Out.WriteLine();
        Row("shards", "sparsity", "choice", "ms/token", "tok/s", "vs dense");
        Row(Enumerable.Repeat("---", 6).ToArray());
        foreach (var r in results)
        {
            var dense = results.FirstOrDefault(d => d.Sparsity == 0 && d.Shards == r.Shards);
            Row(r.Shards.ToString(), r.SparsityRecall is { } recall ? $"recall {F(100 * recall, "F0")}%" : F(100 * r.Sparsity, "F0") + "%", r.SparsityMode ?? "dense", F(r.DecodeMsPerToken), F(r.DecodeTokensPerS),
                dense is null || dense.DecodeTokensPerS == 0 ? "-" : F(r.DecodeTokensPerS / dense.DecodeTokensPerS, "F2") + "x");
        }
    }

    /// <summary>A second table of weights held and memory taken, when a configuration quantized or windowed its weights.</summary>
    private static void PrintMemory(IEnumerable<(int Shards, double Ms, MemoryFigures? Memory)> rows)
    {
        var list = rows.Where(r => r.Memory is not null).ToList();
        if (!list.Any(r => r.Memory!.Quantization != "none" || r.Memory.Window.Any(w => w > 0))) return;
        Console.Out.WriteLine();
        Row("shards", "quantize", "window / blocks", "weights MiB per shard", "peak RSS MiB per silo", "ms", "load ms/step",
            "stall ms/step", "loading hidden");
        Row(Enumerable.Repeat("---", 9).ToArray());
        foreach (var (shards, ms, m) in list)
            Row(shards.ToString(), m!.Quantization, string.Join(" / ", m.Window.Zip(m.Blocks, (w, b) => w == 0 ? $"all {b}" : $"{w} of {b}")),
                string.Join(" / ", m.WeightMib.Select(w => F(w, "F1"))), string.Join(" / ", m.PeakRssMib.Select(p => F(p, "F0"))),
                F(ms), m.Steps > 0 ? F(m.LoadMsPerStep, "F1") : "-", m.Steps > 0 ? F(m.StallMsPerStep, "F1") : "-",
                m.Steps > 0 ? F(100 * m.Hidden, "F0") + "%" : "-");
    }

#if OLM_EMBEDDED
    public static void PrintAllReduce(DeploySpec spec, List<Embedded.AllReduceProbe.Result> results, bool json)
    {
        if (json)
        {
            JsonLine.Write(new { scenario = "all-reduce", model = spec.Model, device = spec.Device, count = Embedded.AllReduceProbe.Count, results, run = RunInfo.Current() });
            return;
        }
        Row("GPUs", "rows", "float32 elements", "KiB", "µs per all-reduce");
        Row("---", "---", "---", "---", "---");
        foreach (var r in results)
            Row(r.Ranks.ToString(), r.Rows.ToString(), r.Elements.ToString(), (r.Bytes / 1024).ToString(), F(r.MicrosEach, "F1"));
    }
#endif

    public static void PrintServe(DeploySpec spec, List<ServeResult> results, bool json)
    {
        if (json)
        {
            JsonLine.Write(new
            {
                scenario = "serve", model = spec.Model, device = spec.Device, dtype = EnumText<DType>.Name(spec.DType), results,
                run = RunInfo.Current(),
            });
            return;
        }
        Row("shards", "strategy", "requests", "concurrency", "prompt tokens", "new tokens", "output tok/s", "TTFT p50 ms",
            "TTFT p99 ms", "ITL p50 ms", "ITL p99 ms", "batch rows");
        Row(Enumerable.Repeat("---", 12).ToArray());
        foreach (var r in results)
            Row(r.Shards.ToString(), r.Strategy, r.Requests.ToString(), r.Concurrency.ToString(), string.Join(",", r.PromptTokens),
                r.Tokens.ToString(), F(r.OutputTokensPerS, "F1"), F(r.TtftMsP50, "F1"), F(r.TtftMsP99, "F1"), F(r.ItlMsP50),
                F(r.ItlMsP99), F(r.BatchRows, "F1"));
        PrintMemory(results.Select(r => (r.Shards, r.ItlMsP50, r.Memory)));
    }

    private static void Row(params string[] cells) => Console.Out.WriteLine("| " + string.Join(" | ", cells) + " |");

    private static string F(double v, string format = "F2") => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
}
