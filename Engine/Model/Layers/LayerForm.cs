using System.Collections.Concurrent;
using OrleansLlm.Engine.Cuda;
using OrleansLlm.Engine.Model.Script;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>How a sub-block's output meets the residual stream: the one part a tensor-parallel rank substitutes.</summary>
internal enum Join
{
    /// <summary>Added to the residual (one shard, a pipeline stage, a weight window).</summary>
    Residual,
    /// <summary>Summed over the stage's GPUs of this process by NCCL inside the call, then added.</summary>
    AllReduce,
    /// <summary>Handed back as the rank's float32 partial, summed in messages and folded in afterwards.</summary>
    Partial,
}

/// <summary>
/// An execution form of the decoder layer (Layer.torchscript): the layer compiled with the parts it substitutes, dense
/// or sparse, and how it joins (see <see cref="Join"/>), with our native kernels where they are loaded. A form's unit is
/// compiled once per process, when first used.
/// </summary>
internal sealed record LayerForm(bool Sparse, Join Join)
{
    /// <summary>The records the layer scripts read (Engine/Model/Layers).</summary>
    private static readonly Type[] Records =
        [typeof(Lin), typeof(Attn), typeof(Mlp), typeof(Choice), typeof(Chosen), typeof(Layer), typeof(Kv), typeof(Shape), typeof(Step)];

    private static readonly ConcurrentDictionary<LayerForm, Lazy<ScriptUnit>> Units = new();

    public static readonly LayerForm Dense = new(false, Join.Residual);

    /// <summary>
    /// Tests on a CPU (no NCCL there) swap the all-reduce op for a one-rank stand-in; set before the first
    /// <see cref="Join.AllReduce"/> unit of the process is made.
    /// </summary>
    internal static Func<string, string> AllReduceRewrite { get; set; } = source => source;

    public ScriptUnit Unit => Units.GetOrAdd(this, form => new Lazy<ScriptUnit>(form.Build, LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>Whether our native kernels take the decode pieces (OLM_FUSED=0 keeps the eager ops, to compare).</summary>
    public static bool NativeKernels => NativeCuda.HasKernels && !OrleansLlm.Switches.OlmSwitches.Fused.TurnedOff;

    private ScriptUnit Build()
    {
        var hooks = NativeKernels ? "Native" : "Portable";
        string[] files =
        [
            "Parts.Linear", "Parts.Attention", $"Kernels.{hooks}", "Parts.Common", "Parts.Experts",
            Sparse ? "Parts.Sparse" : "Parts.Dense", Sparse ? $"Parts.Sparse.{hooks}" : "",
            $"Parts.Join.{Join}", "Layer",
        ];
        var sources = files.Where(f => f.Length > 0)
            .Select(f => (f, ScriptUnit.Resource($"{f}.torchscript")))
            .Select(p => p.f == "Parts.Join.AllReduce" ? AllReduceRewrite(p.Item2) : p.Item2).ToList();
        return new ScriptUnit(sources, Records);
    }
}
