using System.CommandLine;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>Options every cluster command shares: where the cluster is and what to deploy.</summary>
internal sealed class CommonOptions
{
    public Option<string> Model { get; } = new("--model")
    {
        Description = "model folder (config.json, model.safetensors, tokenizer.json) as the silos see it, or shape:NAME for random weights (tiny, llama-1b, llama-8b)",
        Required = true,
    };
    public Option<string?> Gateway { get; } = new("--gateway") { Description = "HOST:PORT of a running cluster's gateway; without it an embedded cluster starts in this process" };
    public Option<int> Silos { get; } = new("--silos") { Description = "silos of the embedded cluster", DefaultValueFactory = _ => 1 };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
    public Option<string?> DType { get; } = new("--dtype") { Description = "float32, bfloat16 or float16 (default: float32 on cpu, bfloat16 on cuda)" };
    public Option<int> Shards { get; } = new("--shards") { Description = "number of shards", DefaultValueFactory = _ => 1 };
    public Option<string?> Strategy { get; } = new("--strategy") { Description = "tensor, pipeline, pipeline,tensor or sequence (with --shards > 1; default tensor)" };
    public Option<int> Stages { get; } = new("--stages") { Description = "pipeline stages for pipeline,tensor (default 2)" };
    public Option<string> AllReduce { get; } = new("--all-reduce") { Description = "how tensor-parallel shards add partial sums: auto, star or all-to-all", DefaultValueFactory = _ => "auto" };
    public Option<string?> Prefill { get; } = new("--prefill") { Description = "ring, striped or runahead (with --strategy sequence; implies it; default ring)" };
    public Option<bool> Json { get; } = new("--json") { Description = "print one JSON object as the last line of stdout" };

    public void AddTo(Command command, bool deployment = true)
    {
        command.Options.Add(Model);
        if (deployment)
            foreach (var o in new Option[] { Shards, Strategy, Stages, AllReduce, Prefill, DType }) command.Options.Add(o);
        foreach (var o in new Option[] { Silos, Device, Gateway, Json }) command.Options.Add(o);
    }

    public DeploySpec Spec(ParseResult r)
    {
        var device = r.GetValue(Device)!;
        return new DeploySpec
        {
            Model = ModelPath(r.GetValue(Model)!),
            Shards = r.GetValue(Shards),
            Strategy = r.GetValue(Strategy) ?? (r.GetValue(Prefill) is not null ? "sequence" : r.GetValue(Shards) > 1 ? "tensor" : "single"),
            Prefill = r.GetValue(Prefill),
            Device = device,
            DType = r.GetValue(DType) ?? (device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) ? "bfloat16" : "float32"),
            Stages = r.GetValue(Stages),
            AllReduce = r.GetValue(AllReduce)!,
        };
    }

    /// <summary>A local folder is sent as an absolute path (an embedded cluster shares this machine's file system).</summary>
    private static string ModelPath(string model) =>
        model.StartsWith("shape:", StringComparison.Ordinal) || !Directory.Exists(model) ? model : Path.GetFullPath(model);
}
