using TorchSharp;
using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// The kernels the C# side calls outside a layer step (the same unit's functions): int8 quantization, the partial
/// attention with its log-sum-exp that sequence parallelism merges, the decode bias a step is built with.
/// </summary>
internal static class LayerCalls
{
    private static ScriptUnit Unit => LayerForm.Dense.Unit;

    public static (Tensor Rows, Tensor Scale) QuantizeRows(Tensor w) => Unit.Call<(Tensor, Tensor)>("quantize_rows", w);

    public static Tensor Int8Linear(Tensor x, Tensor q, Tensor scale, Tensor? bias, double threshold) =>
        Unit.Call<Tensor>("int8_linear", x, q, scale, bias ?? Lin.None, threshold);

    public static Tensor Causal(Tensor q, Tensor k, Tensor v) => Unit.Call<Tensor>("causal", q, k, v);

    /// <summary>Every key visible to every query. Output [H, Sq, D] and log-sum-exp [H, Sq], float32.</summary>
    public static (Tensor Output, Tensor Lse) PartialFull(Tensor q, Tensor k, Tensor v) =>
        Unit.Call<(Tensor, Tensor)>("partial_full", q, k, v, UseCudnn(q));

    /// <summary>A square block where key j is visible to query i when j ≤ i.</summary>
    public static (Tensor Output, Tensor Lse) PartialCausal(Tensor q, Tensor k, Tensor v) =>
        Unit.Call<(Tensor, Tensor)>("partial_causal", q, k, v, UseCudnn(q));

    public static (Tensor Output, Tensor Lse) Merge(Tensor oa, Tensor la, Tensor ob, Tensor lb) =>
        Unit.Call<(Tensor, Tensor)>("merge", oa, la, ob, lb);

    /// <summary>
    /// The decode rows' additive bias [B, KV, G, L] from their mask [B, 1, 1, L], made once a step and laid out whole
    /// (the memory-efficient kernel refuses some broadcast biases). Two ops, called from C#: a script call of its own
    /// cost more than they do on a CPU step of a small model.
    /// </summary>
    public static Tensor DecodeBias(Tensor mask, ScalarType dtype, long kvHeads, long group)
    {
        using var hidden = mask.logical_not();
        using var minusInf = double.NegativeInfinity.ToScalar();
        return zeros([mask.shape[0], kvHeads, group, mask.shape[3]], dtype, mask.device).masked_fill_(hidden, minusInf);
    }

    /// <summary>The float32 sum of t over a clique's ranks (every rank gets it; needs Native/ and NCCL).</summary>
    public static Tensor AllReduceSum(Tensor t, long clique, long rank) =>
        new LayerForm(false, Join.AllReduce).Unit.Call<Tensor>("all_reduce_sum", t, clique, rank);

    /// <summary>Count all-reduces of t in a row over a clique (timing one).</summary>
    public static Tensor AllReduceLoop(Tensor t, long clique, long rank, long count) =>
        new LayerForm(false, Join.AllReduce).Unit.Call<Tensor>("all_reduce_loop", t, clique, rank, count);

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
        lock (CudnnCheck) return _cudnn ??= CudnnAgreesWithFlash(q.device, q.dtype);
    }

    private static bool CudnnAgreesWithFlash(Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        try
        {
            var g = new Generator(1);
            var (q, k, v) = (randn([4, 96, 64], generator: g), randn([4, 96, 64], generator: g), randn([4, 96, 64], generator: g));
            (q, k, v) = (q.to(dtype, device), k.to(dtype, device), v.to(dtype, device));
            var (of, lf) = Unit.Call<(Tensor, Tensor)>("partial_causal", q, k, v, false);
            var (oc, lc) = Unit.Call<(Tensor, Tensor)>("partial_causal", q, k, v, true);
            var (ff, gf) = Unit.Call<(Tensor, Tensor)>("partial_full", q, k, v, false);
            var (fc, gc) = Unit.Call<(Tensor, Tensor)>("partial_full", q, k, v, true);
            var outputs = Math.Max((of - oc).abs().max().item<float>(), (ff - fc).abs().max().item<float>());
            var lses = Math.Max((lf - lc).abs().max().item<float>(), (gf - gc).abs().max().item<float>());
            return outputs < 2e-2f && lses < 1e-2f;
        }
        catch (Exception)
        {
            return false; // no cuDNN attention in this libtorch: flash it is
        }
    }
}
