using System.CommandLine;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>Options every cluster command shares: where the cluster is and what to deploy.</summary>
internal sealed class CommonOptions
{
    public Option<string> Model { get; } = new("--model")
    {
        Description = "model folder (config.json, model.safetensors, tokenizer.json) as the silos see it, or shape:NAME for random weights (olm models lists the shapes and the families served)",
        Required = true,
    };
    public Option<string?> Gateway { get; } = new("--gateway") { Description = "HOST:PORT of a running cluster's gateway; without it an embedded cluster starts in this process" };
    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "the cluster's id, as its silos were started with (with --gateway)", DefaultValueFactory = _ => OrleansLlm.Switches.OlmSwitches.ClusterId.Value ?? "olm" };
    public Option<int> Silos { get; } = new("--silos") { Description = "silos of the embedded cluster", DefaultValueFactory = _ => 1 };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
    public Option<string?> DType { get; } = new("--dtype") { Description = $"{EnumText<DType>.Choices} (default: float32 on cpu, bfloat16 on cuda)" };
    public Option<int> Shards { get; } = new("--shards") { Description = "number of shards", DefaultValueFactory = _ => 1 };
    public Option<string?> Strategy { get; } = new("--strategy") { Description = $"{EnumText<Strategy>.Choices} (with --shards > 1; default tensor)" };
    public Option<int> Stages { get; } = new("--stages") { Description = "pipeline stages for pipeline,tensor (default 2)" };
    public Option<string> AllReduce { get; } = new("--all-reduce") { Description = $"how tensor-parallel shards add partial sums: {EnumText<AllReduceAlgorithm>.Choices}", DefaultValueFactory = _ => "auto" };
    public Option<string?> Prefill { get; } = new("--prefill") { Description = $"{EnumText<PrefillAlgorithm>.Choices} (with --strategy sequence; implies it; default ring)" };
    public Option<bool> Json { get; } = new("--json") { Description = "print one JSON object as the last line of stdout" };
    public Option<long> KvCacheTokens { get; } = new("--kv-cache-tokens") { Description = "tokens of KV cache per shard (default on a GPU: 90% of what the weights leave on it, at most what --max-running full-context requests need; on a CPU: 16 contexts of at most 8192 tokens, held in memory only as requests reach it)" };
    public Option<int> PrefillChunk { get; } = new("--prefill-chunk") { Description = "a prompt is prefilled at most this many tokens a batch, beside other requests' decode steps (default 512 on a GPU, 256 on a CPU)" };
    public Option<int> MaxBatchTokens { get; } = new("--max-batch-tokens") { Description = "rows (new tokens) of one batch at most: decode steps plus prefill chunks (default 1024)" };
    public Option<int> MaxRunning { get; } = new("--max-running") { Description = "requests holding KV at once at most (default 256)" };
    public Option<int> MaxWaiting { get; } = new("--max-waiting") { Description = "requests waiting to start at most; past it a request is refused as busy (default 1024)" };
    public Connection.ConnectionOptions Connection { get; } = new();
    public Option<double> MemoryGb { get; } = new("--memory-gb") { Description = "memory budget per device of the embedded silos in GiB (default: 3/4 of RAM for cpu)" };
    public WeightOptions Weights { get; } = new();
    public SparsityOptions Sparsity { get; } = new();

    private IEnumerable<Option> Plan =>
        new Option[] { Shards, Strategy, Stages, AllReduce, Prefill, DType, KvCacheTokens, PrefillChunk, MaxBatchTokens, MaxRunning, MaxWaiting }
            .Concat(Weights.All).Concat(Sparsity.All);

    public void AddTo(Command command, bool deployment = true)
    {
        command.Options.Add(Model);
        if (deployment)
            foreach (var o in Plan) command.Options.Add(o);
        foreach (var o in new Option[] { Silos, MemoryGb, Device, Gateway, ClusterId, Json }) command.Options.Add(o);
        Connection.AddTo(command);
    }

    public DeploySpec Spec(ParseResult r)
    {
        var device = r.GetValue(Device)!;
        var prefill = r.GetValue(Prefill) is { } p ? EnumText<PrefillAlgorithm>.Parse(p, "prefill") : (PrefillAlgorithm?)null;
        var strategy = r.GetValue(Strategy) is { } s ? EnumText<Strategy>.Parse(s, "strategy")
            : prefill is not null ? Grains.Interfaces.Strategy.Sequence
            : r.GetValue(Shards) > 1 ? Grains.Interfaces.Strategy.Tensor : Grains.Interfaces.Strategy.Single;
        return new DeploySpec
        {
            Model = ModelPath(r.GetValue(Model)!),
            Shards = r.GetValue(Shards),
            Strategy = strategy,
            Prefill = prefill,
            Device = device,
            DType = r.GetValue(DType) is { } d ? EnumText<DType>.Parse(d, "dtype")
                : Grains.Interfaces.DeviceName.IsGpu(device) ? Grains.Interfaces.DType.BFloat16 : Grains.Interfaces.DType.Float32,
            Stages = r.GetValue(Stages),
            AllReduce = EnumText<AllReduceAlgorithm>.Parse(r.GetValue(AllReduce), "all-reduce"),
            Serving = new ServingSettings
            {
                KvCacheTokens = r.GetValue(KvCacheTokens), PrefillChunk = r.GetValue(PrefillChunk),
                MaxBatchTokens = r.GetValue(MaxBatchTokens), MaxRunning = r.GetValue(MaxRunning), MaxWaiting = r.GetValue(MaxWaiting),
            },
            Weights = Weights.Settings(r),
            Sparsity = Sparsity.Settings(r),
        };
    }

    /// <summary>Whether the command line shapes the deployment (shards, dtype, weights...) rather than taking any that serves.</summary>
    public bool PlanGiven(ParseResult r) => Plan.Any(o => r.GetResult(o) is { Implicit: false });

    /// <summary>The model as the silos should see it.</summary>
    public string ModelOf(ParseResult r) => ModelPath(r.GetValue(Model)!);

    /// <summary>A local folder is sent as an absolute path (an embedded cluster shares this machine's file system).</summary>
    private static string ModelPath(string model) =>
        ModelName.IsShape(model) || !Directory.Exists(model) ? model : Path.GetFullPath(model);
}
