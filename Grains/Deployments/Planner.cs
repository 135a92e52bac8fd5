using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// Decides which silo and device hold which slice of a model: pipeline stages get contiguous layer ranges and
/// tensor-parallel ranks get KV-head groups and FFN columns, both in proportion to the devices' declared capacity
/// (TPI-LLM's ratio vector); shards go one per silo while there are silos. A plan that cannot fit is refused here,
/// before any weight is read.
/// </summary>
public static class Planner
{
    /// <summary>
    /// Room a shard must have beyond its weights: one request at full context, or 64 MiB where that is more, so a plan
    /// that fits the weights can still serve.
    /// </summary>
    public static long MinimumKvBytes(ModelConfig c, ModelSlice s, ScalarType dtype) =>
        Math.Min(ModelSizing.KvBytes(c, s, c.MaxPositions, dtype), 64L << 20);

    public static ShardPlan[] Plan(string deploymentId, DeploySpec spec, ModelConfig config, IReadOnlyList<SiloInventory> silos)
    {
        var (stages, ranks) = Layout(spec, config);
        var devices = Devices(spec, silos, stages, ranks);
        if (spec.Strategy == Strategy.Sequence) return SequencePlan(deploymentId, spec, config, devices);
        if (spec.Ratios is not null) return Plan(deploymentId, spec, config, devices, stages, ranks, spec.Ratios, Windows(spec));
        // Split by speed; where that does not fit, by free memory (TPI-LLM sizes slices to each device's memory); where
        // neither fits, stream the slices that do not through weight windows (unless windows are not allowed).
        var splits = new List<double[]> { devices.Select(d => d.Device.RelativeSpeed).ToArray() };
        if (devices.Select(d => d.Device.FreeBytes).Distinct().Count() > 1)
            splits.Add(devices.Select(d => (double)Math.Max(1, d.Device.FreeBytes)).ToArray());
        OlmException? refused = null;
        foreach (var windows in Windows(spec) ? [false, true] : new[] { false })
            foreach (var ratios in splits)
            {
                try { return Plan(deploymentId, spec, config, devices, stages, ranks, ratios, windows); }
                catch (OlmException e) { refused = e; }
            }
        throw refused!;
    }

    /// <summary>Whether the planner may give shards weight windows of its own choosing (the shadow path runs resident layers).</summary>
    private static bool Windows(DeploySpec spec) => spec.Weights.MemoryWindow == 0 && !spec.Weights.Static;

    private static ShardPlan[] Plan(string deploymentId, DeploySpec spec, ModelConfig config,
        (string Silo, DeviceInfo Device)[] devices, int stages, int ranks, double[] ratios, bool windows)
    {
        if (ratios.Length != stages * ranks)
            throw new OlmException($"{ratios.Length} capacity ratios given for {stages * ranks} shards");
        var layers = ProportionalSplit.Ranges(config.NumLayers,
            Enumerable.Range(0, stages).Select(s => ratios.Skip(s * ranks).Take(ranks).Sum()).ToArray());
        var dtype = spec.DType.ToScalarType();
        var plans = new List<ShardPlan>();
        for (var stage = 0; stage < stages; stage++)
        {
            var stageRatios = ratios.Skip(stage * ranks).Take(ranks).ToArray();
            var heads = ProportionalSplit.Ranges(config.NumKvHeads, stageRatios);
            var ffn = ProportionalSplit.Ranges(config.IntermediateSize, stageRatios);
            var vocab = ProportionalSplit.Ranges(config.VocabSize, stageRatios);
            var last = stage == stages - 1;
            for (var rank = 0; rank < ranks; rank++)
            {
                var index = stage * ranks + rank;
                var slice = new ModelSlice
                {
                    LayerStart = layers[stage].Start, LayerEnd = layers[stage].End,
                    KvHeadStart = heads[rank].Start, KvHeadEnd = heads[rank].End,
                    FfnStart = ffn[rank].Start, FfnEnd = ffn[rank].End,
                    // The last stage's ranks split the output head by vocabulary rows, as they split the layers.
                    HasEmbedding = stage == 0, HasHead = last,
                    VocabStart = last && ranks > 1 ? vocab[rank].Start : null, VocabEnd = last && ranks > 1 ? vocab[rank].End : null,
                };
                var (silo, device) = devices[index];
                plans.Add(new ShardPlan
                {
                    Index = index, Stage = stage, Rank = rank, GrainKey = new ShardKey(deploymentId, index, silo).ToString(), Silo = silo,
                    Device = device.Device, Slice = ModelSource.ToSpec(slice), Blocks = 2 * slice.LayerCount,
                    WeightBytes = ModelSizing.WeightBytes(config, slice, dtype),
                });
            }
        }
        return WeightFit.Apply(plans, devices, config, dtype, spec.Weights, windows).ToArray();
    }

    /// <summary>Sequence parallel: every shard holds the whole model; the prompt and its KV cache are what is split.</summary>
    private static ShardPlan[] SequencePlan(string deploymentId, DeploySpec spec, ModelConfig config, (string Silo, DeviceInfo Device)[] devices)
    {
        var dtype = spec.DType.ToScalarType();
        var slice = ModelSlice.Full(config);
        var plans = devices.Select((d, i) => new ShardPlan
        {
            Index = i, Stage = 0, Rank = i, GrainKey = new ShardKey(deploymentId, i, d.Silo).ToString(), Silo = d.Silo, Device = d.Device.Device,
            Slice = ModelSource.ToSpec(slice), WeightBytes = ModelSizing.WeightBytes(config, slice, dtype),
        }).ToList();
        CheckMemory(plans, devices, config, dtype);
        return plans.ToArray();
    }

    /// <summary>Pipeline stages × tensor-parallel ranks per stage.</summary>
    private static (int Stages, int Ranks) Layout(DeploySpec spec, ModelConfig config)
    {
        Validate(spec);
        ValidateExperts(spec, config);
        var n = spec.Shards;
        var (stages, ranks) = spec.Strategy switch
        {
            Strategy.Single when n == 1 => (1, 1),
            Strategy.Single => throw new OlmException($"--shards {n} needs a strategy: tensor, pipeline or pipeline,tensor"),
            Strategy.Tensor => (1, n),
            Strategy.Pipeline => (n, 1),
            Strategy.PipelineTensor => Hybrid(n, spec.Stages == 0 ? 2 : spec.Stages),
            Strategy.Sequence => (1, n),
            _ => throw new OlmException($"--strategy {spec.Strategy} is not available in this version"),
        };
        if (spec.Strategy == Strategy.Sequence) return (stages, ranks);
        if (ranks > config.NumKvHeads)
            throw new OlmException($"{ranks} tensor-parallel shards but the model has {config.NumKvHeads} KV heads (at most one shard per KV head)");
        if (stages > config.NumLayers)
            throw new OlmException($"{stages} pipeline stages but the model has {config.NumLayers} layers");
        return (stages, ranks);
    }

    private static (int, int) Hybrid(int shards, int stages)
    {
        if (stages < 2 || shards % stages != 0 || shards / stages < 2)
            throw new OlmException($"--strategy pipeline,tensor needs --shards a multiple of --stages ({stages}) with at least 2 per stage");
        return (stages, shards / stages);
    }

    private static void Validate(DeploySpec spec)
    {
        if (spec.Shards < 1) throw new OlmException($"--shards must be at least 1, got {spec.Shards}");
        var v = spec.Serving;
        foreach (var (name, value) in new[] { ("--kv-cache-tokens", v.KvCacheTokens), ("--prefill-chunk", v.PrefillChunk),
                     ("--max-batch-tokens", v.MaxBatchTokens), ("--max-running", v.MaxRunning), ("--max-waiting", v.MaxWaiting) })
            if (value < 0) throw new OlmException($"{name} must be 0 (the default) or more, got {value}", OlmErrorKind.BadRequest);
        if (spec.Prefill is not null && spec.Strategy != Strategy.Sequence)
            throw new OlmException("--prefill applies to --strategy sequence only");
        if (!DeviceName.TryParse(spec.Device, out _))
            throw new OlmException($"unknown device '{spec.Device}' (use cpu, cuda or cuda:N)", OlmErrorKind.BadRequest);
        var w = spec.Weights;
        w.Validate();
        if (spec.Strategy == Strategy.Sequence && !w.IsDefault)
            throw new OlmException("--quantize, --memory-window and --shadow-outliers do not combine with --strategy sequence (its shards run resident float layers)");
        if (w.Static && (spec.Shards > 1 || w.MemoryWindow > 0))
            throw new OlmException("--shadow-outliers and int8-static need one shard holding every layer (calibration runs the whole model): no --shards or --memory-window with them");
        ValidateSparsity(spec);
    }

    /// <summary>A mixture of experts runs as resident layers, float or LLM.int8(): the forms that rework a layer's MLP are refused.</summary>
    private static void ValidateExperts(DeploySpec spec, ModelConfig config)
    {
        if (config.Experts is null) return;
        var family = config.FamilyName;
        if (!spec.Sparsity.IsOff)
            throw new OlmException($"--sparsity is not available for {family} (a mixture of experts): its MLPs already run only each token's chosen experts", OlmErrorKind.BadRequest);
        if (spec.Weights.MemoryWindow > 0)
            throw new OlmException($"--memory-window is not available for {family} (a mixture of experts) yet: spread it over more shards", OlmErrorKind.BadRequest);
        if (spec.Weights.Static)
            throw new OlmException($"--shadow-outliers and int8-static are not available for {family} (a mixture of experts): use --quantize int8", OlmErrorKind.BadRequest);
    }

    /// <summary>Sparse decode runs on resident float layers: one shard, pipeline stages or tensor-parallel ranks.</summary>
    private static void ValidateSparsity(DeploySpec spec)
    {
        spec.Sparsity.Validate();
        if (spec.Sparsity.IsOff) return;
        if (spec.Strategy == Strategy.Sequence)
            throw new OlmException("--sparsity does not combine with --strategy sequence (its decode attends over a KV cache split across shards, which sparse layers do not run)", OlmErrorKind.BadRequest);
        if (spec.Strategy is Strategy.Tensor or Strategy.PipelineTensor && spec.Sparsity.Choice == SparsityChoice.Random)
            throw new OlmException("--sparsity-mode random draws on each tensor-parallel rank apart; use learned, threshold or fixed", OlmErrorKind.BadRequest);
        if (!spec.Weights.IsDefault && (spec.Weights.Quantize != Quantization.None || spec.Weights.MemoryWindow > 0))
            throw new OlmException("--sparsity runs on resident float layers: not with --quantize or --memory-window", OlmErrorKind.BadRequest);
    }

    /// <summary>
    /// Devices for the shards: one per silo while silos last (round robin over each silo's devices), then again; but a
    /// tensor-parallel stage on GPUs keeps its ranks in one silo where one has the GPUs, so they add on the devices
    /// (NCCL) rather than in messages between machines.
    /// </summary>
    private static (string Silo, DeviceInfo Device)[] Devices(DeploySpec spec, IReadOnlyList<SiloInventory> silos, int stages, int ranks)
    {
        var count = stages * ranks;
        // Most free memory first, so successive deployments spread over the cluster.
        var perSilo = silos
            .Select(s => s.Devices.Where(d => Matches(d.Device, spec.Device)).OrderByDescending(d => d.FreeBytes)
                .Select(d => (s.Silo, Device: d)).ToList())
            .Where(l => l.Count > 0)
            .OrderByDescending(l => l[0].Device.FreeBytes).ThenBy(l => l[0].Silo, StringComparer.Ordinal).ToList();
        if (perSilo.Count == 0)
            throw new OlmException($"no silo offers device '{spec.Device}' (offered: {Offered(silos)})");
        if (ranks > 1 && spec.Strategy != Strategy.Sequence && StagesWithinSilos(perSilo, stages, ranks) is { } local) return local;
        var order = new List<(string, DeviceInfo)>();
        for (var round = 0; order.Count < perSilo.Sum(l => l.Count); round++)
            order.AddRange(perSilo.Where(l => round < l.Count).Select(l => l[round]));
        return Enumerable.Range(0, count).Select(i => order[i % order.Count]).ToArray();
    }

    /// <summary>Each stage's ranks on distinct GPUs of one silo, stages spread over silos; null where GPUs do not suffice.</summary>
    private static (string Silo, DeviceInfo Device)[]? StagesWithinSilos(List<List<(string Silo, DeviceInfo Device)>> perSilo, int stages, int ranks)
    {
        var free = perSilo.Select(l => l.Where(d => DeviceName.IsGpu(d.Device.Device)).ToList()).ToList();
        var chosen = new List<(string, DeviceInfo)>();
        for (var stage = 0; stage < stages; stage++)
        {
            // The next silo in turn with room for a whole stage.
            var silo = Enumerable.Range(0, free.Count).Select(i => (stage + i) % free.Count).FirstOrDefault(i => free[i].Count >= ranks, -1);
            if (silo < 0) return null;
            chosen.AddRange(free[silo].Take(ranks));
            free[silo].RemoveRange(0, ranks);
        }
        return chosen.ToArray();
    }

    private static void CheckMemory(List<ShardPlan> plans, (string Silo, DeviceInfo Device)[] devices, ModelConfig config, ScalarType dtype)
    {
        foreach (var group in plans.GroupBy(p => (p.Silo, p.Device)))
        {
            var free = devices.First(d => d.Silo == group.Key.Silo && d.Device.Device == group.Key.Device).Device.FreeBytes;
            var need = group.Sum(p => p.WeightBytes + MinimumKvBytes(config, ModelSource.ToSlice(p.Slice), dtype));
            if (need > free)
                throw new OlmException(
                    $"shard(s) {string.Join(", ", group.Select(p => p.Index))} need {need >> 20} MiB on {group.Key.Device} of {group.Key.Silo}, which has {free >> 20} MiB free");
        }
    }

    /// <summary>"cuda" asks for any GPU; "cuda:N" for that one; "cpu" for a CPU.</summary>
    public static bool Matches(string offered, string wanted) =>
        DeviceName.TryParse(offered, out var o) && DeviceName.Parse(wanted).Accepts(o);

    private static string Offered(IEnumerable<SiloInventory> silos) =>
        string.Join(", ", silos.SelectMany(s => s.Devices.Select(d => d.Device)).Distinct());
}
