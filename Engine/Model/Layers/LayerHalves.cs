using OrleansLlm.Engine.Model.Script;
using OrleansLlm.Engine.Quantization;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>What is done to a layer's halves as a whole: LLM.int8()'s weights, the tensors one holds.</summary>
internal static class LayerHalves
{
    /// <summary>The half with its linears' weights as int8 rows and per-row scales (LLM.int8()), the float ones freed.</summary>
    public static IScriptRecord Quantized(IScriptRecord half, bool int8) => !int8 ? half : half switch
    {
        Attn a => a with { Qkv = Int8(a.Qkv), O = Int8(a.O) },
        Mlp m => m with { GateUp = Int8(m.GateUp), Down = Int8(m.Down) },
        _ => throw new ArgumentException($"not a layer half: {half.GetType().Name}"),
    };

    private static Lin Int8(Lin l)
    {
        var (rows, scale) = Int8Weights.Quantize(l.Weight);
        l.Weight.Dispose();
        return Lin.Int8(rows, scale, l.Bias.numel() == 0 ? null : l.Bias);
    }

    public static IEnumerable<Tensor> Held(IScriptRecord half) => half switch
    {
        Attn a => a.Held,
        Mlp m => m.Held,
        Layer l => l.Held,
        _ => [],
    };
}
