using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// llm.npu's calibration: the float model runs the calibration text once (the whole text as one causal sequence,
/// through the layer's own pieces), and for each linear's input it sets the static scale so that the largest value of
/// the ordinary channels (those that stay below the int8 outlier threshold) is 127; the channels reaching the threshold
/// are its outlier channels. The clipped remainder's share of the linear's output on the text decides whether the
/// linear gets a shadow.
/// </summary>
internal static class StaticCalibration
{
    public static StaticPlan Run(ShardModel model, Tensor embedded, double threshold, StaticInt8 settings)
    {
        using var scope = NewDisposeScope();
        var s = embedded.shape[0];
        var (cos, sin) = model.Rope.Tables(arange(s, ScalarType.Int64, embedded.device), model.DType);
        var plan = new List<StaticLinear>();
        var x = embedded;
        for (var l = 0; l < model.Slice.LayerCount; l++)
        {
            var w = model.ResidentLayer(l);
            var global = model.Slice.LayerStart + l;
            plan.Add(Decide(global, 0, model.Normed(l, true, x), w.Attn.Qkv, threshold, settings));
            var (q, k, v) = model.Project(l, x, cos, sin);
            var att = LayerCalls.Causal(q, k, v);                               // [Hq, S, D]
            plan.Add(Decide(global, 1, att.transpose(0, 1).reshape(s, -1), w.Attn.O, threshold, settings));
            var h = model.FinishAttention(l, x, att);
            plan.Add(Decide(global, 2, model.Normed(l, false, h), w.Mlp.GateUp, threshold, settings));
            plan.Add(Decide(global, 3, model.MlpHidden(l, h), w.Mlp.Down, threshold, settings));
            x = model.MlpBlock(l, h);
        }
        return new StaticPlan(plan);
    }

    /// <summary>One linear's scale, outlier channels, clipping cost and shadow, from its input x [S, K] on the text.</summary>
    private static StaticLinear Decide(int layer, int k, Tensor x, Lin lin, double threshold, StaticInt8 settings)
    {
        using var scope = NewDisposeScope();
        var xf = x.to(ScalarType.Float32);
        var absmax = xf.abs().amax([0]);                                        // [K]
        var outlier = absmax.ge(threshold);
        var ordinary = absmax.masked_fill(outlier, 0.0).max().item<float>();
        var scale = Math.Max(ordinary > 0 ? ordinary : absmax.max().item<float>(), 1e-12f) / 127.0;
        var channels = outlier.nonzero().squeeze(1).data<long>().ToArray();
        var v = xf.div(scale);
        var remainder = v.sub(v.clamp(-128.0, 127.0)).mul(scale);
        var wf = lin.Weight.to(ScalarType.Float32).t();
        var share = remainder.matmul(wf).norm().item<float>() / Math.Max(xf.matmul(wf).norm().item<float>(), 1e-30f);
        var shadowed = settings.Shadows && channels.Length > 0 && share > settings.Tolerance;
        return new StaticLinear(layer, StaticPlan.Names[k], scale, channels, share, shadowed);
    }
}
