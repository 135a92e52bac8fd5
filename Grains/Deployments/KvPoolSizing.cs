using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// How many KV blocks every shard of a deployment gets. All shards have as many (one block table addresses them all),
/// so the count is what the tightest device can hold: by default 90% of the memory its weights leave (vLLM's rule), at
/// most what <see cref="ServingSettings.MaxRunning"/> full-context requests need (on a CPU, at most
/// <see cref="CpuDefaultTokens"/>); or the tokens asked for, if they fit.
/// Layers that slide over a window hold only their sequences' rings, so their KV does not grow with the pool.
/// </summary>
public static class KvPoolSizing
{
    public const int BlockSize = 16;
    public const int DefaultMaxRunning = 256;
    /// <summary>Share of the memory the weights leave that the pool takes by default (vLLM's rule).</summary>
    public const double DeviceShare = 0.9;

    /// <summary>
    /// A CPU deployment's KV cache where none is asked for: 16 contexts of the model's length, at most 8,192 tokens
    /// each, not a share of the machine's memory (which a CPU silo shares with everything else on it). The pool grows
    /// into it as requests reach its blocks (<see cref="Engine.Paged.PagedKvPool"/>), so this bounds what KV may take.
    /// </summary>
    public static long CpuDefaultTokens(ModelConfig config) => 16L * Math.Min(config.MaxPositions, 8192);

    /// <summary>Pool blocks (the scratch block included), or 0 for a sequence-parallel deployment.</summary>
    public static int Blocks(DeploySpec spec, ModelConfig config, IReadOnlyList<ShardPlan> shards, IReadOnlyList<SiloInventory> silos)
    {
        if (spec.Strategy == Strategy.Sequence) return 0;
        var dtype = spec.DType.ToScalarType();
        var running = spec.Serving.MaxRunning > 0 ? spec.Serving.MaxRunning : DefaultMaxRunning;
        // Sliding layers hold rings, at most one a running sequence (the entry's scheduler clamps its chunk to what
        // a message carries, which only shrinks the ring: this reserves at least what the shards allocate).
        var ring = new Engine.Serving.SchedulerOptions
        {
            BlockSize = BlockSize, PrefillChunk = spec.Serving.PrefillChunk > 0 ? spec.Serving.PrefillChunk : Engine.Serving.SchedulerOptions.DefaultPrefillChunk(spec.Device), MaxRunning = running,
            Window = config.SlidingWindow,
        };
        var ringTokens = ring.RingBlocks == 0 ? 0 : ((long)running * ring.RingBlocks + 1) * BlockSize;
        var groups = shards.GroupBy(s => (s.Silo, s.Device)).Select(g =>
        {
            var free = silos.First(i => i.Silo == g.Key.Silo).Devices.First(d => d.Device == g.Key.Device).FreeBytes;
            var perToken = g.Select(s => ModelSizing.PoolBytesPerTokenByKind(config, ModelSource.ToSlice(s.Slice), dtype)).ToList();
            var room = (long)((free - g.Sum(s => s.WeightBytes)) * DeviceShare);
            return (g.Key, Room: room, Global: perToken.Sum(p => p.Global), Local: perToken.Sum(p => p.Local));
        }).ToList();
        // Tokens a device's room holds: rings reserved whole when what is left beside them still covers them, else
        // a pool small enough that every layer holds it whole.
        long Fit((long Room, long Global, long Local) g)
        {
            var room = Math.Max(0, g.Room);
            if (ringTokens > 0 && room >= g.Local * ringTokens)
            {
                var global = g.Global == 0 ? long.MaxValue : (room - g.Local * ringTokens) / g.Global;
                if (global >= ringTokens) return global;
            }
            return room / (g.Global + g.Local);
        }
        var tightest = groups.MinBy(g => Fit((g.Room, g.Global, g.Local)));
        var fit = Fit((tightest.Room, tightest.Global, tightest.Local));
        var tokens = spec.Serving.KvCacheTokens > 0 ? spec.Serving.KvCacheTokens
            : Math.Min(fit, spec.Device.StartsWith("cpu", StringComparison.Ordinal) ? CpuDefaultTokens(config) : (long)running * config.MaxPositions);
        var perToken = tightest.Global + tightest.Local;
        if (tokens > fit)
            throw new OlmException(
                $"a KV cache of {tokens} tokens needs {tokens * perToken >> 20} MiB on {tightest.Key.Device} of {tightest.Key.Silo}, which has room for {fit} tokens ({tightest.Room >> 20} MiB) beside the weights");
        // Sized by default, the pool must hold at least one full-context request (or 64 MiB); asked for, any size
        // from one block up is the user's choice (a request larger than the pool is refused when it comes).
        var minimum = spec.Serving.KvCacheTokens > 0 ? BlockSize : Math.Min(config.MaxPositions, (64L << 20) / groups.Max(g => g.Global + g.Local));
        if (tokens < minimum)
            throw new OlmException(
                $"the weights leave room for only {tokens} tokens of KV cache on {tightest.Key.Device} of {tightest.Key.Silo} (at least {minimum} needed: one request at the model's context of {config.MaxPositions}, or 64 MiB)");
        return (int)Math.Min(int.MaxValue - 1, tokens / BlockSize) + 1;
    }

}
