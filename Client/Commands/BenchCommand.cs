using System.CommandLine;
using OrleansLlm.Client.Bench;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>
/// olm bench: decode latency per token (and its breakdown) or time to first token, for each shard count and all-reduce
/// algorithm asked, on an embedded cluster, on silo processes over loopback (--processes K), or on a running cluster.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var scenario = new Option<string>("--scenario") { Description = "decode (tokens/s after a prompt), prefill (time to first token), serve (a stream of requests: total tokens/s, TTFT and inter-token latency percentiles) or all-reduce (the device all-reduce among this machine's GPUs, per --shard-counts)", DefaultValueFactory = _ => "decode" };
        var requests = new Option<int>("--requests") { Description = "serve: requests in a run (default: --concurrency)" };
        var shardCounts = new Option<string>("--shard-counts") { Description = "shard counts to compare, e.g. 1,2,4 (default: --shards)" };
        var allReduces = new Option<string?>("--all-reduces") { Description = "all-reduce algorithms to compare: star,all-to-all (default: --all-reduce)" };
        var promptTokens = new Option<string>("--prompt-tokens") { Description = "prompt length(s): one for decode, a list for prefill, a mix for serve (request i takes the i-th, cycling)", DefaultValueFactory = _ => "32" };
        var tokens = new Option<int>("--tokens") { Description = "tokens generated per decode run", DefaultValueFactory = _ => 32 };
        var warmup = new Option<int>("--warmup") { Description = "warm-up runs per configuration", DefaultValueFactory = _ => 1 };
        var repeats = new Option<int>("--repeats") { Description = "measured runs per configuration (median reported)", DefaultValueFactory = _ => 3 };
        var processes = new Option<int>("--processes") { Description = "start this many silo processes over loopback instead of in-process silos" };
        var prefills = new Option<string?>("--prefills") { Description = "sequence-parallel prefills to compare: ring,striped,runahead (default: --prefill)" };
        var concurrency = new Option<int>("--concurrency") { Description = "concurrent requests (decode: per run; serve: at most in flight)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "compute threads per silo process (default: cores / processes)" };
        var windows = new Option<string?>("--memory-windows") { Description = "weight windows to compare, in half-layer blocks: 2,4,8 (0: every layer resident; default: --memory-window)" };
        var sparsities = new Option<string?>("--sparsities") { Description = "decode sparsities to compare: 0,0.25,0.5,0.75 (0: dense; default: --sparsity)" };
        var fresh = new Option<bool>("--fresh-silos") { Description = "with --processes: new silo processes for each configuration, so each one's peak resident memory is its own" };
        var command = new Command("bench", "Measure decode latency or time to first token across shard counts");
        common.AddTo(command);
        foreach (var o in new Option[] { scenario, shardCounts, allReduces, prefills, promptTokens, tokens, warmup, repeats, concurrency, requests, processes, threads, windows, sparsities, fresh })
            command.Options.Add(o);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            var spec = common.Spec(r);
            var counts = IdList.Parse(r.GetValue(shardCounts) ?? spec.Shards.ToString(), "--shard-counts");
            var algorithms = List(r.GetValue(allReduces)) is { Length: > 0 } given
                ? given.Select(a => EnumText<AllReduceAlgorithm>.Parse(a, "all-reduce")).ToArray() : [spec.AllReduce];
            var prefillList = List(r.GetValue(prefills)).Select(p => EnumText<PrefillAlgorithm>.Parse(p, "prefill")).ToArray();
            if (prefillList.Length > 0 && spec.Strategy == Strategy.Single) spec = spec with { Strategy = Strategy.Sequence };
            // Sequence parallel varies the prefill, the others the all-reduce.
            var variants = spec.Strategy == Strategy.Sequence
                ? (prefillList.Length > 0 ? prefillList : [spec.Prefill ?? PrefillAlgorithm.Ring]).Select(p => (spec.AllReduce, (PrefillAlgorithm?)p)).ToArray()
                : algorithms.Select(a => (a, (PrefillAlgorithm?)null)).ToArray();
            var windowList = r.GetValue(windows) is { } w ? IdList.Parse(w, "--memory-windows") : [spec.Weights.MemoryWindow];
            var sparsityList = List(r.GetValue(sparsities)) is { Length: > 0 } sl ? sl.Select(t => SparsityOptions.Parse(t, "--sparsities", "a list of shares")).ToArray() : [spec.Sparsity.Sparsity];
            if (spec.Sparsity.Recall is not null && sparsityList is not [0])
                throw new ArgumentException("--sparsities and --sparsity-recall each set how sparse: give one");
            var kind = r.GetValue(scenario)!;
            if (kind is not ("decode" or "prefill" or "serve" or "all-reduce")) throw new ArgumentException($"--scenario must be decode, prefill, serve or all-reduce, got '{kind}'");
            if (kind == "all-reduce")
            {
                if (!DeviceName.IsGpu(spec.Device)) throw new ArgumentException("--scenario all-reduce needs --device cuda");
#if OLM_EMBEDDED
                BenchReport.PrintAllReduce(spec, [.. Embedded.AllReduceProbe.Run(spec.Model, counts, Console.Error)], r.GetValue(common.Json));
                return;
#else
                throw new ArgumentException("--scenario all-reduce times this machine's GPUs: this olm is a thin client (built with -p:OlmThin=true)");
#endif
            }
            var cluster = new BenchCluster.Options(r.GetValue(processes), r.GetValue(threads), r.GetValue(common.MemoryGb), spec.Device,
                r.GetValue(common.Gateway), r.GetValue(common.Silos), r.GetValue(common.ClusterId)!);
            var freshSilos = r.GetValue(fresh) && cluster.Processes > 0;
            await using var shared = freshSilos ? null : await BenchCluster.OpenAsync(cluster, ct);
            var run = new BenchRun(kind, r.GetValue(warmup), r.GetValue(repeats), Math.Max(1, r.GetValue(concurrency)),
                r.GetValue(requests), IdList.Parse(r.GetValue(promptTokens)!, "--prompt-tokens"), r.GetValue(tokens));
            foreach (var s in Configurations(spec, counts, variants, windowList, sparsityList))
            {
                await using var own = freshSilos ? await BenchCluster.OpenAsync(cluster, ct) : null;
                await run.OneAsync((own ?? shared)!.Client, s, ct);
            }
            run.Print(spec, r.GetValue(common.Json));
        }));
        return command;
    }

    /// <summary>Every configuration to measure: shard counts × all-reduces or prefills (one for a single shard) × windows × sparsities.</summary>
    private static IEnumerable<DeploySpec> Configurations(DeploySpec spec, int[] counts, (AllReduceAlgorithm, PrefillAlgorithm?)[] variants,
        int[] windows, double[] sparsities)
    {
        foreach (var n in counts)
            foreach (var (allReduce, prefill) in n == 1 ? variants.Take(1) : variants)
                foreach (var (window, sparsity) in windows.SelectMany(w => sparsities.Select(s => (w, s))))
                {
                    var strategy = n == 1 ? Strategy.Single : spec.Strategy == Strategy.Single ? Strategy.Tensor : spec.Strategy;
                    yield return spec with
                    {
                        Shards = n, Strategy = strategy, AllReduce = allReduce, Prefill = strategy == Strategy.Sequence ? prefill : null,
                        Weights = spec.Weights with { MemoryWindow = window },
                        Sparsity = spec.Sparsity.Recall is not null ? spec.Sparsity
                            : sparsity == 0 ? new SparsitySettings() : spec.Sparsity with { Sparsity = sparsity },
                    };
                }
    }

    private static string[] List(string? text) =>
        text?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
}
