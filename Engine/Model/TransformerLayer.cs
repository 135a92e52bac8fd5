using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

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

    private TransformerLayer(ModelConfig c, LayerWeights w, ModelSlice slice)
    {
        _c = c;
        _w = w;
        _kvHeads = slice.KvHeadCount;
        _qHeads = _kvHeads * c.GroupSize;
    }

    public static TransformerLayer Load(IWeightSource source, ModelConfig c, ModelSlice slice, int layer,
        ScalarType dtype, Device device) =>
        new(c, LayerWeights.Load(source, c, slice, layer, dtype, device), slice);

    /// <summary>Query, key and value of x [S, hidden] at global positions, RoPE applied: [Hq, S, D], [KV, S, D] ×2.</summary>
    public (Tensor Q, Tensor K, Tensor V) Project(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var h = RmsNorm.Apply(x, _w.InputNorm, _c.RmsNormEps);
        var qkv = F.linear(h, _w.Qkv, _w.QkvBias);                                     // [S, (Hq+2KV)·D]
        var d = _c.HeadDim;
        var parts = qkv.split([_qHeads * d, _kvHeads * d, _kvHeads * d], 1);
        var s = x.shape[0];
        var q = parts[0].view(s, _qHeads, d).transpose(0, 1);                            // [Hq, S, D]
        var k = parts[1].view(s, _kvHeads, d).transpose(0, 1);                           // [KV, S, D]
        var v = parts[2].view(s, _kvHeads, d).transpose(0, 1).contiguous();
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        return (q.MoveToOuterDisposeScope(), k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }

    /// <summary>o_proj of the attention output [Hq, S, D] (any float dtype): this slice's partial sum [S, hidden].</summary>
    public Tensor Output(Tensor attention)
    {
        using var scope = NewDisposeScope();
        var s = attention.shape[1];
        var flat = attention.to(_w.Qkv.dtype).transpose(0, 1).reshape(s, _qHeads * _c.HeadDim); // [S, Hq·D]
        return F.linear(flat, _w.O, _w.OBias).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Attention over this slice's heads for x [S, hidden] at the next positions of a contiguous sequence whose earlier
    /// keys are in <paramref name="cache"/>; appends the new keys. Returns the partial sum [S, hidden].
    /// </summary>
    public Tensor Attention(Tensor x, LayerKvCache cache, Tensor cos, Tensor sin, Tensor positions)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Project(x, cos, sin);
        cache.Append(k, v, positions);
        var attention = AttentionKernels.Causal(q, cache.Keys, cache.Values);
        return Output(attention).MoveToOuterDisposeScope();
    }

    /// <summary>SwiGLU MLP over this slice's FFN columns for the residual x [S, hidden]: the partial sum [S, hidden].</summary>
    public Tensor Mlp(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = RmsNorm.Apply(x, _w.PostNorm, _c.RmsNormEps);
        var gateUp = F.linear(h, _w.GateUp, _w.GateUpBias);                            // [S, 2F]
        var half = gateUp.shape[1] / 2;
        var act = F.silu(gateUp.narrow(1, 0, half)).mul(gateUp.narrow(1, half, half));
        return F.linear(act, _w.Down, _w.DownBias).MoveToOuterDisposeScope();
    }

    public long ParameterBytes => _w.Bytes;

    internal IEnumerable<Tensor> Tensors => _w.All;

    public void Dispose() => _w.Dispose();
}
