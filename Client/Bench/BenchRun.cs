using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Bench;

/// <summary>
/// The configurations of one olm bench command, run one after another: each is deployed, measured (decode, prefill or
/// serve), its memory figures read, and undeployed; the results are printed together at the end.
/// </summary>
internal sealed class BenchRun(string kind, int warmup, int repeats, int concurrency, int requests, int[] lengths, int tokens)
{
    private readonly List<BenchResult> _results = [];
    private readonly List<ServeResult> _served = [];
    private readonly TextWriter _log = Console.Error;

    public async Task OneAsync(IClusterClient client, DeploySpec s, CancellationToken ct)
    {
        var memory = new MemoryProbe(client);
        var variant = s.Prefill is { } p ? EnumText<PrefillAlgorithm>.Name(p) : EnumText<AllReduceAlgorithm>.Name(s.AllReduce);
        var weights = (s.Weights.IsDefault ? "" : $", {s.Weights}") + (s.Sparsity.IsOff ? "" : $", {s.Sparsity}");
        _log.WriteLine($"{EnumText<Strategy>.Name(s.Strategy)} x{s.Shards} ({variant}{weights}): deploying {s.Model}");
        await memory.ResetAsync();
        var grain = client.GetGrain<IDeploymentGrain>(s.DefaultId());
        var deployment = await grain.DeployAsync(s);
        try
        {
            await memory.StartAsync(deployment);
            if (kind == "serve")
            {
                var serve = new ServeRunner(client, warmup, repeats, _log);
                var result = await serve.RunAsync(deployment, requests > 0 ? requests : concurrency, concurrency, lengths, tokens, ct);
                _served.Add(result with { Memory = await memory.ReadAsync(deployment) });
                return;
            }
            var runner = new BenchRunner(client, warmup, repeats, concurrency, _log);
            var measured = kind == "decode" ? [await runner.DecodeAsync(deployment, lengths[0], tokens, ct)]
                : await Prefills(runner, deployment, ct);
            var figures = await memory.ReadAsync(deployment);
            _results.AddRange(measured.Select(m => m with { Memory = figures }));
            Describe(figures);
        }
        finally
        {
            await grain.UndeployAsync();
        }
    }

    private async Task<List<BenchResult>> Prefills(BenchRunner runner, DeploymentInfo deployment, CancellationToken ct)
    {
        var all = new List<BenchResult>();
        foreach (var length in lengths) all.Add(await runner.PrefillAsync(deployment, length, ct));
        return all;
    }

    private void Describe(MemoryFigures m) =>
        _log.WriteLine($"  weights {string.Join("/", m.WeightMib)} MiB, window {string.Join("/", m.Window)} of {string.Join("/", m.Blocks)} blocks, " +
                       $"peak RSS {string.Join("/", m.PeakRssMib)} MiB" +
                       (m.Steps > 0 ? $", load {m.LoadMsPerStep:F1} ms/step, stall {m.StallMsPerStep:F1} ms/step ({m.Hidden:P0} hidden)" : ""));

    public void Print(DeploySpec spec, bool json)
    {
        if (kind == "serve") BenchReport.PrintServe(spec, _served, json);
        else BenchReport.Print(kind, spec, _results, json);
    }
}
