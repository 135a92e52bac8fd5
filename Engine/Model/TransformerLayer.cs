using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// One decoder layer, or the part of it a tensor-parallel shard holds: some KV-head groups with their query heads and
/// some FFN columns. Its attention and MLP return partial sums over those heads and columns; the partial sums of all
/// shards add up to the full layer's outputs. The pieces of attention (projection, kernel, output) are exposed so that
/// sequence-parallel prefill can run the kernel over keys held elsewhere.
/// </summary>
public sealed class TransformerLayer : IDisposable
{
    private readonly ModelConfig _c;
    private readonly LayerWeights _w;
    private readonly long _qHeads, _kvHeads;
    private readonly Tensor[] _kernelWeights;

    private TransformerLayer(ModelConfig c, LayerWeights w, ModelSlice slice)
    {
        _c = c;
        _w = w;
        _kvHeads = slice.KvHeadCount;
        _qHeads = _kvHeads * c.GroupSize;
        _kernelWeights = w.ForKernels();
    }

    public static TransformerLayer Load(IWeightSource source, ModelConfig c, ModelSlice slice, int layer,
        ScalarType dtype, Device device) =>
        new(c, LayerWeights.Load(source, c, slice, layer, dtype, device), slice);

    /// <summary>Query, key and value of x [S, hidden] at global positions, RoPE applied: [Hq, S, D], [KV, S, D] ×2.</summary>
    public (Tensor Q, Tensor K, Tensor V) Project(Tensor x, Tensor cos, Tensor sin) =>
        Kernels.Project(x, _w.InputNorm, _c.RmsNormEps, _w.Qkv, _w.QkvBias, _qHeads, _kvHeads, _c.HeadDim, cos, sin);

    /// <summary>o_proj of the attention output [Hq, S, D] (any float dtype): this slice's partial sum [S, hidden].</summary>
    public Tensor Output(Tensor attention) => Kernels.Output(attention, _w.O, _w.OBias);

    /// <summary>SwiGLU MLP over this slice's FFN columns for the residual x [S, hidden]: the partial sum [S, hidden].</summary>
    public Tensor Mlp(Tensor x) =>
        Kernels.Mlp(x, _w.PostNorm, _c.RmsNormEps, _w.GateUp, _w.GateUpBias, _w.Down, _w.DownBias);

    /// <summary>This slice's MLP partial sum in float32 (tensor parallel: its FFN columns).</summary>
    public Tensor MlpPartial(Tensor x) =>
        Kernels.MlpPartial(x, _w.PostNorm, _c.RmsNormEps, _w.GateUp, _w.GateUpBias, _w.Down, _w.DownBias);

    /// <summary>This layer's tensors in the order the kernels take them (see <see cref="LayerWeights.ForKernels"/>).</summary>
    internal Tensor[] KernelWeights => _kernelWeights;

    internal IEnumerable<Tensor> Tensors => _w.All;

    public void Dispose() => _w.Dispose();
}
