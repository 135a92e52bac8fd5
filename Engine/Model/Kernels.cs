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

    /// <summary>
    /// Tests on a CPU (no NCCL there) swap the all-reduce op for a one-rank stand-in; set before the first
    /// tensor-parallel call of the process.
    /// </summary>
    internal static Func<string, string> TpSourceRewrite { get; set; } = source => source;

    /// <summary>The kernels and the tensor-parallel stack with in-process NCCL all-reduces (needs Native/ loaded).</summary>
    private static readonly Lazy<jit.CompilationUnit> TpUnit = new(
        () => jit.compile(TpSourceRewrite(KernelsSource() + "\n" + Source("KernelsTp.torchscript"))),
        LazyThreadSafetyMode.ExecutionAndPublication);

    // One unit: the block functions (Blocks.torchscript) call the layer pieces of Kernels.torchscript.
    private static jit.CompilationUnit Compile() =>
        jit.compile(KernelsSource() + "\n" + Source("Blocks.torchscript") + "\n" + Source("Static.torchscript") + "\n" +
            SourceWithHooks("Sparse.torchscript", "Sparse"));

    /// <summary>
    /// Kernels.torchscript with its decode hooks: our native kernels where Native/ is loaded with them (OLM_FUSED=0
    /// keeps the eager ops, to compare), eager ops otherwise. Sparse.torchscript's entry is chosen the same way.
    /// </summary>
    private static string KernelsSource() => SourceWithHooks("Kernels.torchscript", "Kernels");

    /// <summary>A script with the hook file of its family (NAME.Native or NAME.Portable) in place of its "# @hooks" line.</summary>
    private static string SourceWithHooks(string script, string family)
    {
        var native = Cuda.NativeCuda.HasKernels && Environment.GetEnvironmentVariable("OLM_FUSED") != "0";
        return Source(script).Replace("# @hooks\n", Source($"{family}.{(native ? "Native" : "Portable")}.torchscript"));
    }

    private static string Source(string name)
    {
        using var stream = typeof(Kernels).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the engine assembly lacks its {name} resource");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Tensor Bias(Tensor? bias) => bias ?? NoBias;

    public static (Tensor Q, Tensor K, Tensor V) Project(Tensor x, Tensor norm, double eps, Tensor qkv, Tensor? qkvBias,
        long qHeads, long kvHeads, long headDim, Tensor cos, Tensor sin) =>
        Unit.Call<(Tensor, Tensor, Tensor)>("project", x, norm, eps, qkv, Bias(qkvBias), qHeads, kvHeads, headDim,
            cos, sin);

    public static Tensor Output(Tensor attention, Tensor o, Tensor? oBias) =>
        Unit.Call<Tensor>("output", attention, o, Bias(oBias));

    public static Tensor Mlp(Tensor x, Tensor norm, double eps, Tensor gateUp, Tensor? gateUpBias, Tensor down,
        Tensor? downBias) =>
        Unit.Call<Tensor>("mlp", x, norm, eps, gateUp, Bias(gateUpBias), down, Bias(downBias));

    /// <summary>A tensor-parallel rank's MLP partial, in float32 (rounded once, after the ranks' sum and the residual).</summary>
    public static Tensor MlpPartial(Tensor x, Tensor norm, double eps, Tensor gateUp, Tensor? gateUpBias, Tensor down,
        Tensor? downBias) =>
        Unit.Call<Tensor>("mlp_partial", x, norm, eps, gateUp, Bias(gateUpBias), down, Bias(downBias));

    /// <summary>x plus the ranks' float32 total, rounded once to x's dtype.</summary>
    public static Tensor AddTotal(Tensor x, Tensor total) => Unit.Call<Tensor>("add_total", x, total);

    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps) => Unit.Call<Tensor>("rms_norm", x, weight, eps);

    /// <summary>RMSNorm(x)·wᵀ (one GEMV for a few rows on a GPU with Native/ loaded).</summary>
    public static Tensor NormLinear(Tensor x, Tensor norm, double eps, Tensor w, Tensor? bias = null) =>
        Unit.Call<Tensor>("norm_linear", x, norm, eps, w, Bias(bias));

    public static Tensor Causal(Tensor q, Tensor k, Tensor v) => Unit.Call<Tensor>("causal", q, k, v);

    /// <summary>Every key visible to every query. Output [H, Sq, D] and log-sum-exp [H, Sq], float32.</summary>
    public static (Tensor Output, Tensor Lse) PartialFull(Tensor q, Tensor k, Tensor v) =>
        Unit.Call<(Tensor, Tensor)>("partial_full", q, k, v, UseCudnn(q));

    /// <summary>A square block where key j is visible to query i when j ≤ i.</summary>
    public static (Tensor Output, Tensor Lse) PartialCausal(Tensor q, Tensor k, Tensor v) =>
        Unit.Call<(Tensor, Tensor)>("partial_causal", q, k, v, UseCudnn(q));

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
                var (of, lf) = Unit.Call<(Tensor, Tensor)>("flash", q, k, v, causal, false);
                var (oc, lc) = Unit.Call<(Tensor, Tensor)>("flash", q, k, v, causal, true);
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
        Unit.Call<(Tensor, Tensor)>("merge", oa, la, ob, lb);

    /// <summary>A tensor-parallel rank's attention partial sum over a batch in a paged pool (see <c>attention_paged</c>).</summary>
    public static Tensor AttentionPaged(Tensor x, Tensor[] weights, int layer, Tensor keys, Tensor values,
        Batching.BatchTensors b, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps) =>
        Unit.Call<Tensor>("attention_paged", x, weights, 10L * layer, keys, values, b.WriteSlots, cos, sin,
            (long)b.DecodeRows, b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK,
            (long)b.MaxQ, (long)b.MaxK, qHeads, kvHeads, headDim, eps);

    /// <summary>A rank's layers over a batch with NCCL all-reduces inside (ranks on GPUs of this process).</summary>
    public static Tensor ForwardBatchTp(Tensor x, Tensor[] weights, Tensor[] keys, Tensor[] values, Batching.BatchTensors b,
        Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps, long clique, long rank) =>
        TpUnit.Call<Tensor>("forward_batch_tp", x, weights, keys, values, b.WriteSlots, cos, sin, (long)b.DecodeRows,
            b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK, (long)b.MaxQ, (long)b.MaxK,
            qHeads, kvHeads, headDim, eps, clique, rank);

    /// <summary>The float32 sum of t over a clique's ranks (every rank gets it).</summary>
    public static Tensor AllReduceSum(Tensor t, long clique, long rank) =>
        TpUnit.Call<Tensor>("all_reduce_sum", t, clique, rank);

    /// <summary>Count all-reduces of t in a row over a clique (timing one).</summary>
    public static Tensor AllReduceLoop(Tensor t, long clique, long rank, long count) =>
        TpUnit.Call<Tensor>("all_reduce_loop", t, clique, rank, count);

    /// <summary>Whole layers over a batch in a paged pool; <paramref name="weights"/> holds 10 tensors a layer.</summary>
    public static Tensor ForwardBatch(Tensor x, Tensor[] weights, Tensor[] keys, Tensor[] values, Batching.BatchTensors b,
        Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps) =>
        Unit.Call<Tensor>("forward_batch", x, weights, keys, values, b.WriteSlots, cos, sin, (long)b.DecodeRows,
            b.DecodeGather, b.DecodeMask, b.Chunks, b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK, (long)b.MaxQ, (long)b.MaxK,
            qHeads, kvHeads, headDim, eps);

    /// <summary>Whole layers over a contiguous cache; <paramref name="weights"/> holds 10 tensors a layer.</summary>
    public static Tensor ForwardLayers(Tensor x, Tensor[] weights, Tensor[] keys, Tensor[] values, Tensor[] cached,
        long start, Tensor positions, Tensor cos, Tensor sin, long qHeads, long kvHeads, long headDim, double eps) =>
        Unit.Call<Tensor>("forward_layers", x, weights, keys, values, cached, start, positions, cos, sin, qHeads,
            kvHeads, headDim, eps);
}
