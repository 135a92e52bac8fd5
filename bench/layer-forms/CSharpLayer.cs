using OrleansLlm.Engine.Model.Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OrleansLlm.LayerForms;

/// <summary>
/// The dense layer's math as C# TorchSharp ops, op for op what Parts/Dense and Join.Residual do in eager ops (the
/// portable hooks), over the same records: the other design the measurement compares, not a form the engine runs.
/// </summary>
internal static class CSharpLayer
{
    public static Tensor Stack(Tensor x, IReadOnlyList<Layer> layers, IReadOnlyList<Kv> kvs, Step s, Shape m)
    {
        for (var i = 0; i < layers.Count; i++) x = Mlp(Attention(x, layers[i].Attn, kvs[i], s, m), layers[i].Mlp, m);
        return x;
    }

    private static Tensor Norm(Tensor x, Tensor w, double eps)
    {
        var f = x.to(ScalarType.Float32);
        return (f * (f.square().mean([-1L], keepdim: true) + eps).rsqrt() * w.to(ScalarType.Float32)).to(x.dtype);
    }

    private static Tensor Rope(Tensor t, Tensor cos, Tensor sin)
    {
        var half = t.shape[^1] / 2;
        var rotated = cat([t.narrow(-1, half, half).neg(), t.narrow(-1, 0, half)], -1);
        return t * cos + rotated * sin;
    }

    private static Tensor Attention(Tensor x, Attn a, Kv kv, Step s, Shape m)
    {
        var (t, hq, nkv, d) = (x.shape[0], m.QHeads, m.KvHeads, m.HeadDim);
        var qkv = F.linear(Norm(x, a.InNorm, m.Eps), a.Qkv.Weight);
        var qk = Rope(qkv.narrow(1, 0, (hq + nkv) * d).reshape(t, hq + nkv, d).transpose(0, 1), s.Cos, s.Sin);
        var v = qkv.narrow(1, (hq + nkv) * d, nkv * d).reshape(t, nkv, d).transpose(0, 1);
        var (q, k) = (qk.narrow(0, 0, hq), qk.narrow(0, hq, nkv));
        kv.Keys.index_copy_(1, s.WriteSlots, k);
        kv.Values.index_copy_(1, s.WriteSlots, v);
        var parts = new List<Tensor>();
        if (s.DecodeRows > 0) parts.Add(Decode(q.narrow(1, 0, s.DecodeRows), kv, s.DecodeGather, s.DecodeBias));
        if (s.Chunks.shape[0] > 0) parts.Add(Chunk(q.narrow(1, s.DecodeRows, t - s.DecodeRows), kv, s.ChunkKeys));
        var att = parts.Count == 1 ? parts[0] : cat(parts.ToArray(), 1);
        var flat = att.transpose(0, 1).reshape(t, hq * d);
        return x.addmm(flat, a.O.Weight.t());
    }

    private static Tensor Decode(Tensor q, Kv kv, Tensor gather, Tensor bias)
    {
        var (hq, b, d) = (q.shape[0], q.shape[1], q.shape[2]);
        var (nkv, n) = (kv.Keys.shape[0], gather.shape[1]);
        var flat = gather.reshape(-1);
        var k = kv.Keys.index_select(1, flat).view(nkv, b, n, d).transpose(0, 1);
        var v = kv.Values.index_select(1, flat).view(nkv, b, n, d).transpose(0, 1);
        var qd = q.reshape(nkv, hq / nkv, b, d).permute(2, 0, 1, 3);
        return F.scaled_dot_product_attention(qd, k, v, bias).permute(1, 2, 0, 3).reshape(hq, b, d);
    }

    private static Tensor Chunk(Tensor q, Kv kv, Tensor keys)
    {
        var (hq, nkv) = (q.shape[0], kv.Keys.shape[0]);
        var k = kv.Keys.index_select(1, keys).repeat_interleave(hq / nkv, 0);
        var v = kv.Values.index_select(1, keys).repeat_interleave(hq / nkv, 0);
        return F.scaled_dot_product_attention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), is_casual: true).squeeze(0);
    }

    private static Tensor Mlp(Tensor x, Mlp f, Shape m)
    {
        var gu = F.linear(Norm(x, f.InNorm, m.Eps), f.GateUp.Weight);
        var n = gu.shape[1] / 2;
        return x.addmm(F.silu(gu.narrow(1, 0, n)) * gu.narrow(1, n, n), f.Down.Weight.t());
    }
}
