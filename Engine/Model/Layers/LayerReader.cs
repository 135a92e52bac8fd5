using OrleansLlm.Engine.Checkpoints;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// A shard's layer halves read from a weight source by their recipes (what its family names), as float records on the
/// shard's dtype and device; or read again into the buffers of a half of the same shapes (a weight window's refill).
/// </summary>
internal sealed class LayerReader(IWeightSource source, ScalarType dtype, Device device)
{
    private readonly SliceReader _reader = new(source, dtype, device);

    public Attn Attention(AttnRecipe r, long window = 0, long rope = 0) =>
        new(_reader.Read(r.InNorm), Lin.Float(_reader.Read(r.Qkv), Optional(r.QkvBias)), Optional(r.QNorm) ?? Lin.None,
            Optional(r.KNorm) ?? Lin.None, Lin.Float(_reader.Read(r.O), Optional(r.OBias)), Optional(r.PostNorm) ?? Lin.None, Lin.None,
            window, rope);

    public Mlp Mlp(MlpRecipe r, long activation = 0) =>
        new(_reader.Read(r.InNorm), Lin.Float(_reader.Read(r.GateUp), Optional(r.GateUpBias)), Lin.Float(_reader.Read(r.Down), Optional(r.DownBias)),
            Optional(r.PostNorm) ?? Lin.None, Lin.None, Lin.None, activation, Optional(r.Router) ?? Lin.None);

    /// <summary>The recipe's tensors into <paramref name="into"/>'s buffers (float halves of the same shapes).</summary>
    public void Fill(AttnRecipe r, Attn into)
    {
        _reader.Fill(r.InNorm, into.InNorm);
        Fill(r.Qkv, r.QkvBias, into.Qkv);
        if (r.QNorm is not null) _reader.Fill(r.QNorm, into.QNorm);
        if (r.KNorm is not null) _reader.Fill(r.KNorm, into.KNorm);
        Fill(r.O, r.OBias, into.O);
        if (r.PostNorm is not null) _reader.Fill(r.PostNorm, into.PostNorm);
    }

    public void Fill(MlpRecipe r, Mlp into)
    {
        _reader.Fill(r.InNorm, into.InNorm);
        Fill(r.GateUp, r.GateUpBias, into.GateUp);
        Fill(r.Down, r.DownBias, into.Down);
        if (r.PostNorm is not null) _reader.Fill(r.PostNorm, into.PostNorm);
        if (r.Router is not null) _reader.Fill(r.Router, into.Router);
    }

    private void Fill(Piece[] weight, Piece[]? bias, Lin into)
    {
        _reader.Fill(weight, into.Weight);
        if (bias is not null) _reader.Fill(bias, into.Bias);
    }

    /// <summary>A norm (or other small tensor) a recipe may name; null where it names none.</summary>
    public Tensor? Optional(Piece[]? pieces) => pieces is null ? null : _reader.Read(pieces);
}
