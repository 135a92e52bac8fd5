using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Bench;

/// <summary>
/// Memory figures of a benchmarked configuration: the silos' peak resident memory is started again before it deploys,
/// window counters are read before and after its runs.
/// </summary>
internal sealed class MemoryProbe(IClusterClient client)
{
    private WeightStatus?[] _before = [];

    public async Task ResetAsync()
    {
        foreach (var silo in await Silos()) await client.GetGrain<ISiloInventoryGrain>(silo).ResetPeakMemoryAsync();
    }

    public async Task StartAsync(DeploymentInfo d) => _before = await Weights(d);

    public async Task<MemoryFigures> ReadAsync(DeploymentInfo d)
    {
        var after = await Weights(d);
        var inventories = await Task.WhenAll((await Silos()).Select(s => client.GetGrain<ISiloInventoryGrain>(s).GetAsync()));
        var used = d.Shards.Select(s => s.Silo).ToHashSet();
        var figures = new MemoryFigures
        {
            Quantization = d.Spec.Weights.Quantize == Quantization.None ? "none" : d.Spec.Weights.ToString().Split(", ")[0],
            Window = d.Shards.Select(s => s.Window).ToArray(), Blocks = d.Shards.Select(s => s.Blocks).ToArray(),
            WeightMib = d.Shards.Select(s => Mib(s.WeightBytes)).ToArray(),
            PeakRssMib = inventories.Where(i => used.Contains(i.Silo)).Select(i => Mib(i.PeakRssBytes)).ToArray(),
        };
        // The busiest window stands for the deployment (all shards of a stage step together).
        var windows = after.Zip(_before).Where(p => p.First is { Window: > 0 }).Select(p => Delta(p.First!, p.Second)).ToList();
        if (windows.Count == 0) return figures;
        var worst = windows.MaxBy(w => w.LoadMs)!;
        var steps = worst.Blocks == 0 ? 0 : (double)worst.Loads / worst.Blocks;
        return figures with
        {
            Steps = steps, LoadMsPerStep = steps > 0 ? worst.LoadMs / steps : 0, StallMsPerStep = steps > 0 ? worst.StallMs / steps : 0,
            Hidden = worst.LoadMs > 0 ? 1 - worst.StallMs / worst.LoadMs : 0,
        };
    }

    private static WeightStatus Delta(WeightStatus after, WeightStatus? before) => before is null ? after
        : after with { Loads = after.Loads - before.Loads, LoadMs = after.LoadMs - before.LoadMs, StallMs = after.StallMs - before.StallMs };

    private async Task<WeightStatus?[]> Weights(DeploymentInfo d) =>
        await Task.WhenAll(d.Shards.Select(async s => (await client.GetGrain<IShardGrain>(s.GrainKey).StatusAsync()).Weights));

    private async Task<string[]> Silos() =>
        (await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Keys.Select(k => k.ToParsableString()).ToArray();

    private static double Mib(long bytes) => Math.Round(bytes / 1048576.0, 1);
}
