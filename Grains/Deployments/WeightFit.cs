using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// How each shard of a plan holds its layers, checked against its device's free memory: all resident, or (TPI-LLM) a
/// sliding window of half-layer blocks where asked, or where the slice does not fit and windows are allowed; the
/// window is as large as the room beside the embedding, head and a minimal KV cache allows. A plan that cannot fit
/// even a window of two blocks is refused here, before any weight is read.
/// </summary>
public static class WeightFit
{
    public static List<ShardPlan> Apply(List<ShardPlan> plans, (string Silo, DeviceInfo Device)[] devices, ModelConfig config,
        ScalarType dtype, WeightSettings weights, bool allowWindows)
    {
        var int8 = weights.Quantize != Quantization.None;
        var asked = plans.Select(p => Sized(p, config, dtype, int8, weights.MemoryWindow)).ToList();
        var result = new List<ShardPlan>();
        foreach (var group in asked.GroupBy(p => (p.Silo, p.Device)))
        {
            var free = devices.First(d => d.Silo == group.Key.Silo && d.Device.Device == group.Key.Device).Device.FreeBytes;
            var need = group.Sum(p => p.WeightBytes + KvRoom(config, p, dtype));
            if (need <= free) { result.AddRange(group); continue; }
            var refusal = $"shard(s) {string.Join(", ", group.Select(p => p.Index))} need {need >> 20} MiB on {group.Key.Device} of {group.Key.Silo}, which has {free >> 20} MiB free";
            if (!allowWindows || weights.MemoryWindow > 0) throw new OlmException(refusal);
            if (config.Experts is not null) throw new OlmException($"{refusal} (weight windows do not stream a mixture of experts yet: use more shards)");
            result.AddRange(Windowed(group.ToList(), free, config, dtype, int8, refusal));
        }
        return result.OrderBy(p => p.Index).ToList();
    }

    /// <summary>Windows sharing the device's room evenly; none may be smaller than two blocks (the budget is below one block).</summary>
    private static IEnumerable<ShardPlan> Windowed(List<ShardPlan> group, long free, ModelConfig config, ScalarType dtype, bool int8,
        string refusal)
    {
        var fixedBytes = group.Sum(p => ModelSizing.ResidentBytes(config, ModelSource.ToSlice(p.Slice), dtype) + KvRoom(config, p, dtype));
        var room = free - fixedBytes;
        foreach (var p in group)
        {
            // A window holds attention and MLP blocks in pairs (an even window: as many of each).
            var pair = PairBytes(config, ModelSource.ToSlice(p.Slice), dtype, int8);
            var window = (int)Math.Min(p.Blocks, 2 * Math.Max(0, room / group.Count / pair));
            if (window < 2)
                throw new OlmException($"{refusal}, and no weight window fits: the embedding, head and KV cache take {fixedBytes >> 20} MiB, " +
                                       $"leaving {Math.Max(0, room) >> 20} MiB where a window needs at least 2 half-layer blocks (an attention and an MLP block: {Mib(pair)} MiB)");
            yield return Sized(p, config, dtype, int8, window == p.Blocks ? 0 : window);
        }
    }

    /// <summary>The plan with its window (a window of every block or more is no window) and the bytes it holds.</summary>
    private static ShardPlan Sized(ShardPlan p, ModelConfig config, ScalarType dtype, bool int8, int window)
    {
        var slice = ModelSource.ToSlice(p.Slice);
        var blocks = 2 * slice.LayerCount;
        var w = window >= blocks ? 0 : window;
        return p with { Window = w, Blocks = blocks, WeightBytes = ModelSizing.HeldBytes(config, slice, dtype, int8, w) };
    }

    /// <summary>An attention and an MLP block: what each two blocks of a window hold.</summary>
    public static long PairBytes(ModelConfig config, ModelSlice slice, ScalarType dtype, bool int8) =>
        ModelSizing.BlockBytes(config, slice, dtype, int8, true) + ModelSizing.BlockBytes(config, slice, dtype, int8, false);

    /// <summary>
    /// Room a shard must leave beside its weights for its KV pool's minimum, as the pool is sized: a share of what the
    /// weights leave (so a plan that passes here is not refused by the pool's sizing after).
    /// </summary>
    private static long KvRoom(ModelConfig config, ShardPlan p, ScalarType dtype) =>
        (long)Math.Ceiling(Planner.MinimumKvBytes(config, ModelSource.ToSlice(p.Slice), dtype) / KvPoolSizing.DeviceShare);

    private static string Mib(long bytes) =>
        (bytes / 1048576.0).ToString(bytes >= 10L << 20 ? "F0" : "0.##", System.Globalization.CultureInfo.InvariantCulture);
}
