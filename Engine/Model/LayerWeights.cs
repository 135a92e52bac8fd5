using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// The weights of one layer's slice, on its device. q/k/v are fused into one matrix and gate/up into another so a
/// step is two matmuls fewer; o_proj and down_proj keep the columns that match the slice's heads and FFN columns.
/// </summary>
internal sealed class LayerWeights : IDisposable
{
    public required Tensor InputNorm { get; init; }
    public required Tensor PostNorm { get; init; }
    public required Tensor Qkv { get; init; }
    public Tensor? QkvBias { get; init; }
    public required Tensor O { get; init; }
    public Tensor? OBias { get; init; }
    public required Tensor GateUp { get; init; }
    public Tensor? GateUpBias { get; init; }
    public required Tensor Down { get; init; }
    public Tensor? DownBias { get; init; }

    public IEnumerable<Tensor> All =>
        new[] { InputNorm, PostNorm, Qkv, QkvBias, O, OBias, GateUp, GateUpBias, Down, DownBias }.OfType<Tensor>();

    /// <summary>The ten tensors in the order the kernels' <c>attention</c> and <c>mlp</c> take them.</summary>
    public Tensor[] ForKernels() =>
    [
        InputNorm, Qkv, Kernels.Bias(QkvBias), O, Kernels.Bias(OBias),
        PostNorm, GateUp, Kernels.Bias(GateUpBias), Down, Kernels.Bias(DownBias),
    ];

    public static LayerWeights Load(IWeightSource src, ModelConfig c, ModelSlice s, int layer, ScalarType dtype, Device device)
    {
        var reader = new SliceReader(src, dtype, device);
        var a = ReadAttention(reader, c, s, layer);
        var m = ReadMlp(reader, c, s, layer);
        return new LayerWeights
        {
            InputNorm = a.Norm, Qkv = a.In, QkvBias = a.InBias, O = a.Out, OBias = a.OutBias,
            PostNorm = m.Norm, GateUp = m.In, GateUpBias = m.InBias, Down = m.Out, DownBias = m.OutBias,
        };
    }

    /// <summary>
    /// One half of a layer's slice (TPI-LLM's block): its norm, its fused input projection (qkv or gate-up) and its
    /// output projection (o or down), with their biases (null where the model has none or another slice adds them).
    /// </summary>
    public sealed record Half(Tensor Norm, Tensor In, Tensor? InBias, Tensor Out, Tensor? OutBias);

    /// <summary>A piece of a checkpoint tensor: its rows (a fused tensor stacks several) or its columns.</summary>
    public sealed record Piece(string Name, long[] Shape, Range? Rows = null, Range? Cols = null);

    /// <summary>What each tensor of a half is made of, in <see cref="Half"/>'s order; null where it has none.</summary>
    public sealed record Recipe(Piece[] Norm, Piece[] In, Piece[]? InBias, Piece[] Out, Piece[]? OutBias);

    /// <summary>The attention half: input norm, q/k/v of the slice's heads fused, o_proj's matching columns.</summary>
    public static Recipe Attention(ModelConfig c, ModelSlice s, int layer)
    {
        var p = $"model.layers.{layer}.";
        var (h, d) = ((long)c.HiddenSize, (long)c.HeadDim);
        var qRows = new Range(s.KvHeadStart * c.GroupSize * (int)d, s.KvHeadEnd * c.GroupSize * (int)d);
        var kvRows = new Range(s.KvHeadStart * (int)d, s.KvHeadEnd * (int)d);
        var qShape = new[] { c.NumHeads * d, h };
        var kvShape = new[] { c.NumKvHeads * d, h };
        return new Recipe(
            [new(p + "input_layernorm.weight", [h])],
            [new(p + "self_attn.q_proj.weight", qShape, qRows), new(p + "self_attn.k_proj.weight", kvShape, kvRows),
             new(p + "self_attn.v_proj.weight", kvShape, kvRows)],
            !c.QkvBias ? null :
            [new(p + "self_attn.q_proj.bias", [c.NumHeads * d], qRows), new(p + "self_attn.k_proj.bias", [c.NumKvHeads * d], kvRows),
             new(p + "self_attn.v_proj.bias", [c.NumKvHeads * d], kvRows)],
            [new(p + "self_attn.o_proj.weight", [h, c.NumHeads * d], Cols: qRows)],
            c.OutputBias && s.OwnsOutputBias ? [new(p + "self_attn.o_proj.bias", [h])] : null);
    }

    /// <summary>The MLP half: post-attention norm, gate and up of the slice's FFN columns fused, down_proj's columns.</summary>
    public static Recipe Mlp(ModelConfig c, ModelSlice s, int layer)
    {
        var p = $"model.layers.{layer}.";
        var (h, f) = ((long)c.HiddenSize, (long)c.IntermediateSize);
        var ffn = new Range(s.FfnStart, s.FfnEnd);
        return new Recipe(
            [new(p + "post_attention_layernorm.weight", [h])],
            [new(p + "mlp.gate_proj.weight", [f, h], ffn), new(p + "mlp.up_proj.weight", [f, h], ffn)],
            !c.MlpBias ? null : [new(p + "mlp.gate_proj.bias", [f], ffn), new(p + "mlp.up_proj.bias", [f], ffn)],
            [new(p + "mlp.down_proj.weight", [h, f], Cols: ffn)],
            c.MlpBias && s.OwnsDownBias ? [new(p + "mlp.down_proj.bias", [h])] : null);
    }

    public static Half ReadAttention(SliceReader reader, ModelConfig c, ModelSlice s, int layer) => reader.Read(Attention(c, s, layer));

    public static Half ReadMlp(SliceReader reader, ModelConfig c, ModelSlice s, int layer) => reader.Read(Mlp(c, s, layer));

    public void Dispose()
    {
        foreach (var t in All) t.Dispose();
    }
}
