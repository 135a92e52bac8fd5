using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Device all-reduces: where every rank of a shard's stage is a distinct GPU of this silo and our native component is
/// loaded, the ranks sum their partials with NCCL inside one device job a batch (a CUDA graph for decode steps) instead
/// of ~2 grain messages a layer. OLM_DEVICE_ALLREDUCE=0 keeps to messages (benchmarks compare both).
/// </summary>
internal static class DeviceAllReduce
{
    /// <summary>On the executor (the native component may load): this rank's collective, or null for messages.</summary>
    public static DeviceCollective? Collective(string key, ShardLoadSpec spec, ShardModel model, GpuCliques cliques)
    {
        var topology = spec.Topology;
        if (topology.StageShards.Length < 2 || topology.StageDevices is not { } devices) return null;
        if (OrleansLlm.Switches.OlmSwitches.DeviceAllReduce.TurnedOff) return null;
        if (model.IsSparse) return null;  // sparse ranks add their partials in messages, layer by layer
        var here = SiloPinnedPlacement.SiloOf(key);
        if (topology.StageShards.Any(k => SiloPinnedPlacement.SiloOf(k) != here)) return null;
        var ordinals = devices.Select(CudaOrdinal).ToArray();
        if (ordinals.Any(o => o < 0) || ordinals.Distinct().Count() != ordinals.Length) return null;
        if (!Engine.Cuda.NativeCuda.Loaded) return null;
        return cliques.For(Group(spec), ordinals, topology.Rank);
    }

    /// <summary>The name a stage's ranks share in <see cref="GpuCliques"/>.</summary>
    public static string Group(ShardLoadSpec spec) => $"{spec.DeploymentId}/stage {spec.Topology.Stage}";

    private static int CudaOrdinal(string device) =>
        DeviceName.TryParse(device, out var d) && d.IsCuda ? d.Concrete.Index!.Value : -1;
}
