using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// Decides which silo and device hold which slice of a model, from the silos' declared devices and free memory. A plan
/// that cannot fit is refused here, before any weight is read.
/// </summary>
public static class Planner
{
    public static readonly IReadOnlySet<string> Strategies = new HashSet<string> { "single", "tensor", "pipeline", "sequence" };

    /// <summary>
    /// Room a shard must have beyond its weights: one request at full context, or 64 MiB where that is more, so a plan
    /// that fits the weights can still serve.
    /// </summary>
    public static long MinimumKvBytes(ModelConfig c, ModelSlice s, ScalarType dtype) =>
        Math.Min(ModelSizing.KvBytes(c, s, c.MaxPositions, dtype), 64L << 20);

    public static ShardPlan[] Plan(string deploymentId, DeploySpec spec, ModelConfig config, IReadOnlyList<SiloInventory> silos)
    {
        Validate(spec);
        if (spec.Shards > 1 || spec.Strategy != "single")
            throw new OlmException(
                $"--shards {spec.Shards} --strategy {spec.Strategy}: only single-shard deployments are available in this version");
        var slice = ModelSlice.Full(config);
        var dtype = ShardOptions.ParseDType(spec.DType);
        var weights = ModelSizing.WeightBytes(config, slice, dtype);
        var need = weights + MinimumKvBytes(config, slice, dtype);
        var candidates = silos
            .SelectMany(s => s.Devices.Select(d => (Silo: s.Silo, Device: d)))
            .Where(x => Matches(x.Device.Device, spec.Device))
            .OrderByDescending(x => x.Device.FreeBytes)
            .ToList();
        if (candidates.Count == 0)
            throw new OlmException($"no silo offers device '{spec.Device}' (offered: {Offered(silos)})");
        var best = candidates[0];
        if (best.Device.FreeBytes < need)
            throw new OlmException(
                $"the model needs {need >> 20} MiB on one {spec.Device} device; the most free is {best.Device.FreeBytes >> 20} MiB ({best.Device.Device} on {best.Silo})");
        return [new ShardPlan
        {
            Index = 0,
            GrainKey = $"{deploymentId}/0|{best.Silo}",
            Silo = best.Silo,
            Device = best.Device.Device,
            Slice = ModelSource.ToSpec(slice),
            WeightBytes = weights,
        }];
    }

    private static void Validate(DeploySpec spec)
    {
        if (spec.Shards < 1) throw new OlmException($"--shards must be at least 1, got {spec.Shards}");
        if (!Strategies.Contains(spec.Strategy))
            throw new OlmException($"unknown strategy '{spec.Strategy}' (use {string.Join(", ", Strategies)})");
        if (spec.Prefill is not null && spec.Strategy != "sequence")
            throw new OlmException("--prefill applies to --strategy sequence only");
        ShardOptions.ParseDType(spec.DType);
        DeviceInventory.Normalize(spec.Device);
    }

    /// <summary>"cuda" asks for any GPU; "cuda:N" for that one; "cpu" for a CPU.</summary>
    public static bool Matches(string offered, string wanted)
    {
        var w = wanted.Trim().ToLowerInvariant();
        return w == "cuda" ? offered.StartsWith("cuda:", StringComparison.Ordinal) : offered == DeviceInventory.Normalize(w);
    }

    private static string Offered(IEnumerable<SiloInventory> silos) =>
        string.Join(", ", silos.SelectMany(s => s.Devices.Select(d => d.Device)).Distinct());
}
