using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Memory;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// llm.npu's calibration: the float model runs the calibration text once (the whole text as one causal sequence), and
/// for each linear's input it sets the static scale so that the largest value of the ordinary channels (those that
/// stay below the int8 outlier threshold) is 127; the channels reaching the threshold are its outlier channels. The
/// clipped remainder's share of the linear's output on the text decides whether the linear gets a shadow.
/// </summary>
internal static class StaticCalibration
{
    public static StaticPlan Run(ModelConfig c, ModelSlice slice, ResidentBlocks blocks, Tensor embedded, RotaryEmbedding rope,
        ScalarType dtype, double threshold, StaticInt8 settings)
    {
        using var scope = NewDisposeScope();
        var s = embedded.shape[0];
        var (cos, sin) = rope.Tables(arange(s, ScalarType.Int64, embedded.device), dtype);
        var (qh, kvh) = ((long)slice.KvHeadCount * c.GroupSize, (long)slice.KvHeadCount);
        var plan = new List<StaticLinear>();
        var x = embedded;
        for (var l = 0; l < slice.LayerCount; l++)
        {
            var (att, mlp) = (blocks.Acquire(2 * l).Kernel, blocks.Acquire(2 * l + 1).Kernel);
            Tensor Linear(int k, Tensor input, Tensor[] w, int at)
            {
                plan.Add(Decide(slice.LayerStart + l, k, input, w[at], threshold, settings));
                return F.linear(input, w[at], w[at + 2].numel() == 0 ? null : w[at + 2]);
            }
            var qkv = Linear(0, Kernels.RmsNorm(x, att[0], c.RmsNormEps), att, 1);
            var flat = Kernels.QkvAttendCausal(qkv, cos, sin, qh, kvh, c.HeadDim, dtype);
            x = x.add(Linear(1, flat, att, 4));
            var gateUp = Linear(2, Kernels.RmsNorm(x, mlp[0], c.RmsNormEps), mlp, 1);
            x = x.add(Linear(3, Kernels.SwiGlu(gateUp), mlp, 4));
        }
        return new StaticPlan(plan);
    }

    /// <summary>One linear's scale, outlier channels, clipping cost and shadow, from its input x [S, K] on the text.</summary>
    private static StaticLinear Decide(int layer, int k, Tensor x, Tensor w, double threshold, StaticInt8 settings)
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
        var wf = w.to(ScalarType.Float32).t();
        var share = remainder.matmul(wf).norm().item<float>() / Math.Max(xf.matmul(wf).norm().item<float>(), 1e-30f);
        var shadowed = settings.Shadows && channels.Length > 0 && share > settings.Tolerance;
        return new StaticLinear(layer, StaticPlan.Names[k], scale, channels, share, shadowed);
    }
}
