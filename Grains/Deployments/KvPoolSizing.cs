using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// How many KV blocks every shard of a deployment gets. All shards have as many (one block table addresses them all),
/// so the count is what the tightest device can hold: by default 90% of the memory its weights leave (vLLM's rule), at
/// most what <see cref="ServingSettings.MaxRunning"/> full-context requests need; or the tokens asked for, if they fit.
/// </summary>
public static class KvPoolSizing
{
    public const int BlockSize = 16;
    public const int DefaultMaxRunning = 256;
    /// <summary>Share of the memory the weights leave that the pool takes by default (vLLM's rule).</summary>
    public const double DeviceShare = 0.9;

    /// <summary>Pool blocks (the scratch block included), or 0 for a sequence-parallel deployment.</summary>
    public static int Blocks(DeploySpec spec, ModelConfig config, IReadOnlyList<ShardPlan> shards, IReadOnlyList<SiloInventory> silos)
    {
        if (spec.Strategy == Strategy.Sequence) return 0;
        var dtype = spec.DType.ToScalarType();
        long BytesPerToken(ShardPlan s) => ModelSizing.PoolBytesPerToken(config, ModelSource.ToSlice(s.Slice), dtype);
        var groups = shards.GroupBy(s => (s.Silo, s.Device)).Select(g =>
        {
            var free = silos.First(i => i.Silo == g.Key.Silo).Devices.First(d => d.Device == g.Key.Device).FreeBytes;
            return (g.Key, Room: (long)((free - g.Sum(s => s.WeightBytes)) * DeviceShare), PerToken: g.Sum(BytesPerToken));
        }).ToList();
        var fit = groups.Min(g => Math.Max(0, g.Room) / g.PerToken);
        var running = spec.Serving.MaxRunning > 0 ? spec.Serving.MaxRunning : DefaultMaxRunning;
        var tokens = spec.Serving.KvCacheTokens > 0 ? spec.Serving.KvCacheTokens : Math.Min(fit, (long)running * config.MaxPositions);
        var tightest = groups.MinBy(g => Math.Max(0, g.Room) / g.PerToken);
        if (tokens > fit)
            throw new OlmException(
                $"a KV cache of {tokens} tokens needs {tokens * tightest.PerToken >> 20} MiB on {tightest.Key.Device} of {tightest.Key.Silo}, which has room for {fit} tokens ({tightest.Room >> 20} MiB) beside the weights");
        // Sized by default, the pool must hold at least one full-context request (or 64 MiB); asked for, any size
        // from one block up is the user's choice (a request larger than the pool is refused when it comes).
        var minimum = spec.Serving.KvCacheTokens > 0 ? BlockSize : Math.Min(config.MaxPositions, (64L << 20) / groups.Max(g => g.PerToken));
        if (tokens < minimum)
            throw new OlmException(
                $"the weights leave room for only {tokens} tokens of KV cache on {tightest.Key.Device} of {tightest.Key.Silo} (at least {minimum} needed: one request at the model's context of {config.MaxPositions}, or 64 MiB)");
        return (int)Math.Min(int.MaxValue - 1, tokens / BlockSize) + 1;
    }

}
