using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// The decoder math of <c>Kernels.torchscript</c>, compiled once per process: one call per layer piece (or per layer
/// stack) instead of one managed call per tensor op, and the attention kernels that return their log-sum-exp.
/// </summary>
internal static partial class Kernels
{
    private static readonly Lazy<jit.CompilationUnit> Unit = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Stands for an absent bias (the script tests for no elements).</summary>
    public static readonly Tensor NoBias = empty(0).DetachFromDisposeScope();

    private static jit.CompilationUnit Compile()
    {
        // One unit: the block functions (Blocks.torchscript) call the layer pieces of Kernels.torchscript.
        return jit.compile(Resource("Kernels.torchscript") + Resource("Blocks.torchscript") + Resource("Static.torchscript"));
    }

    private static string Resource(string name)
    {
        using var stream = typeof(Kernels).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the engine assembly lacks its {name} resource");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Tensor Bias(Tensor? bias) => bias ?? NoBias;

    public static (Tensor Q, Tensor K, Tensor V) Project(Tensor x, Tensor norm, double eps, Tensor qkv, Tensor? qkvBias,
        long qHeads, long kvHeads, long headDim, Tensor cos, Tensor sin) =>
        Unit.Value.invoke<(Tensor, Tensor, Tensor)>("project", x, norm, eps, qkv, Bias(qkvBias), qHeads, kvHeads, headDim,
            cos, sin);

    public static Tensor Output(Tensor attention, Tensor o, Tensor? oBias) =>
        Unit.Value.invoke<Tensor>("output", attention, o, Bias(oBias));

    public static Tensor Mlp(Tensor x, Tensor norm, double eps, Tensor gateUp, Tensor? gateUpBias, Tensor down,
        Tensor? downBias) =>
        Unit.Value.invoke<Tensor>("mlp", x, norm, eps, gateUp, Bias(gateUpBias), down, Bias(downBias));

    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps) => Unit.Value.invoke<Tensor>("rms_norm", x, weight, eps);

    public static Tensor Causal(Tensor q, Tensor k, Tensor v) => Unit.Value.invoke<Tensor>("causal", q, k, v);

    /// <summary>Every key visible to every query. Output [H, Sq, D] and log-sum-exp [H, Sq], float32.</summary>
    public static (Tensor Output, Tensor Lse) PartialFull(Tensor q, Tensor k, Tensor v) =>
        Unit.Value.invoke<(Tensor, Tensor)>("partial_full", q, k, v, UseCudnn(q));

    /// <summary>A square block where key j is visible to query i when j ≤ i.</summary>
    public static (Tensor Output, Tensor Lse) PartialCausal(Tensor q, Tensor k, Tensor v) =>
        Unit.Value.invoke<(Tensor, Tensor)>("partial_causal", q, k, v, UseCudnn(q));

    private static readonly Lock CudnnCheck = new();
    private static bool? _cudnn;

    /// <summary>
    /// Whether 16-bit attention blocks on CUDA take cuDNN's kernel (about twice flash's speed on Hopper, and what SDPA
    /// itself picks there): decided once per process by running both on the same random block and comparing output
    /// and log-sum-exp, so a libtorch whose cuDNN path is missing or differs falls back to flash.
    /// </summary>
    private static bool UseCudnn(Tensor q)
    {
        if (q.device_type != DeviceType.CUDA || q.dtype == ScalarType.Float32) return false;
        lock (CudnnCheck)
        {
            return _cudnn ??= CudnnAgreesWithFlash(q.device, q.dtype);
        }
    }

    private static bool CudnnAgreesWithFlash(Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        try
        {
            var g = new Generator(1);
            var (q, k, v) = (randn([1, 4, 96, 64], generator: g), randn([1, 4, 96, 64], generator: g), randn([1, 4, 96, 64], generator: g));
            (q, k, v) = (q.to(dtype, device), k.to(dtype, device), v.to(dtype, device));
            foreach (var causal in new[] { true, false })
            {
                var (of, lf) = Unit.Value.invoke<(Tensor, Tensor)>("flash", q, k, v, causal, false);
                var (oc, lc) = Unit.Value.invoke<(Tensor, Tensor)>("flash", q, k, v, causal, true);
                var outputs = (of.to(ScalarType.Float32) - oc.to(ScalarType.Float32)).abs().max().item<float>();
                var lses = (lf - lc).abs().max().item<float>();
                if (!(outputs < 2e-2f && lses < 1e-2f)) return false;
            }
            return true;
        }
        catch (Exception)
        {
            return false; // no cuDNN attention in this libtorch: flash it is
        }
    }

    public static (Tensor Output, Tensor Lse) Merge(Tensor oa, Tensor la, Tensor ob, Tensor lb) =>
        Unit.Value.invoke<(Tensor, Tensor)>("merge", oa, la, ob, lb);

    /// <summary>A tensor-parallel rank's attention partial sum over a batch in a paged pool (see <c>attention_paged</c>).</summary>
    public static Tensor AttentionPaged(Tensor x, Tensor[] weights, int layer, Tensor keys, Tensor values,
        Batching.BatchTensors b, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps) =>
        Unit.Value.invoke<Tensor>("attention_paged", x, weights, 10L * layer, keys, values, b.WriteSlots, cos, sin,
            (long)b.DecodeRows, b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, qHeads, kvHeads, headDim, eps);

    /// <summary>Whole layers over a batch in a paged pool; <paramref name="weights"/> holds 10 tensors a layer.</summary>
    public static Tensor ForwardBatch(Tensor x, Tensor[] weights, Tensor[] keys, Tensor[] values, Batching.BatchTensors b,
        Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps) =>
        Unit.Value.invoke<Tensor>("forward_batch", x, weights, keys, values, b.WriteSlots, cos, sin, (long)b.DecodeRows,
            b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, qHeads, kvHeads, headDim, eps);

    /// <summary>Whole layers over a contiguous cache; <paramref name="weights"/> holds 10 tensors a layer.</summary>
    public static Tensor ForwardLayers(Tensor x, Tensor[] weights, Tensor[] keys, Tensor[] values, Tensor[] cached,
        long start, Tensor positions, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps) =>
        Unit.Value.invoke<Tensor>("forward_layers", x, weights, keys, values, cached, start, positions, cos, sin, qHeads,
            kvHeads, headDim, eps);
}
