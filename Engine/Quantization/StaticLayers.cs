using OrleansLlm.Engine.Model.Layers;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// A shard's layers as llm.npu runs them: each linear int8 at its calibrated static scale; where calibration said its
/// clipped outlier channels matter, a shadow (those channels' remainder times their weight columns, on the host) is
/// added back (Parts/Linear.torchscript, static_product).
/// </summary>
internal static class StaticLayers
{
    /// <summary>The float layers' linears quantized as the plan says; the float weights are freed.</summary>
    public static Layer[] Quantize(IReadOnlyList<Layer> layers, StaticPlan plan) =>
        layers.Select((l, i) => l with
        {
            Attn = l.Attn with { Qkv = Static(l.Attn.Qkv, plan.Of(i, "qkv")), O = Static(l.Attn.O, plan.Of(i, "o")) },
            Mlp = l.Mlp with { GateUp = Static(l.Mlp.GateUp, plan.Of(i, "gate_up")), Down = Static(l.Mlp.Down, plan.Of(i, "down")) },
        }).ToArray();

    private static Lin Static(Lin lin, StaticLinear plan)
    {
        using var scope = NewDisposeScope();
        var w = lin.Weight;
        var (q, s) = Int8Weights.Quantize(w);
        var channels = tensor(plan.Shadowed ? plan.Channels : []).to(w.device);
        // The shadow's weight: the outlier channels' dequantized columns, [C, N] on the host.
        var columns = plan.Shadowed ? q.index_select(1, channels).to(ScalarType.Float32).mul(s.unsqueeze(1)).t().contiguous().cpu() : Lin.None;
        var result = new Lin(q, s, lin.Bias, tensor((float)plan.Scale).to(w.device), channels, columns);
        foreach (var t in result.Held) t.DetachFromDisposeScope();
        w.Dispose();
        return result;
    }
}
