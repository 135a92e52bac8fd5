using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sparsity;

/// <summary>
/// What the dense model does on a text, layer by layer, for training and calibrating sparsity: each layer's input
/// (the residual before it), how much each FFN neuron gave (|SiLU(gate)·up|, the SwiGLU counterpart of Deja Vu's
/// ReLU activations), |SiLU(gate)| (CATS' threshold quantity) and each query head's output norm (Deja Vu's rule).
/// Rows are tokens, float32, on the CPU.
/// </summary>
public sealed class LayerSamples : IDisposable
{
    public required Tensor Inputs { get; init; }   // [N, h]
    public required Tensor Neurons { get; init; }  // [N, F] |SiLU(g)·u|
    public required Tensor Gates { get; init; }    // [N, F] |SiLU(g)|
    public required Tensor Heads { get; init; }    // [N, Hq] output norms

    public void Dispose()
    {
        foreach (var t in new[] { Inputs, Neurons, Gates, Heads }) t.Dispose();
    }
}

public static class SparsityCalibration
{
    /// <summary>Runs each window (a causal sequence of at most the context) through the dense model; one entry a layer.</summary>
    public static LayerSamples[] Collect(ShardModel model, IReadOnlyList<int[]> windows)
    {
        var c = model.Config;
        var parts = Enumerable.Range(0, c.NumLayers).Select(_ => new List<(Tensor, Tensor, Tensor, Tensor)>()).ToArray();
        foreach (var window in windows)
        {
            using var scope = NewDisposeScope();
            var s = window.Length;
            var (cos, sin) = model.Rope.Tables(arange(s, ScalarType.Int64, model.Device), model.DType);
            var x = model.Embed(tensor(window.Select(i => (long)i).ToArray()));
            for (var l = 0; l < c.NumLayers; l++)
            {
                var input = x.to(ScalarType.Float32).cpu();
                var (q, k, v) = model.Project(l, x, cos, sin);
                var att = Model.Layers.LayerCalls.Causal(q, k, v);                     // [Hq, S, D]
                var heads = att.to(ScalarType.Float32).pow(2).sum(2).sqrt().t().cpu(); // [S, Hq]
                x = model.FinishAttention(l, x, att);
                var gu = model.MlpGateUp(l, x).to(ScalarType.Float32);
                var f = gu.shape[1] / 2;
                var gate = nn.functional.silu(gu.narrow(1, 0, f));
                var neurons = (gate * gu.narrow(1, f, f)).abs().cpu();
                x = model.MlpBlock(l, x);
                parts[l].Add((input.DetachFromDisposeScope(), neurons.DetachFromDisposeScope(), gate.abs().cpu().DetachFromDisposeScope(),
                    heads.DetachFromDisposeScope()));
            }
        }
        return parts.Select(p =>
        {
            var samples = new LayerSamples
            {
                Inputs = cat(p.Select(t => t.Item1).ToArray(), 0), Neurons = cat(p.Select(t => t.Item2).ToArray(), 0),
                Gates = cat(p.Select(t => t.Item3).ToArray(), 0), Heads = cat(p.Select(t => t.Item4).ToArray(), 0),
            };
            foreach (var t in p.SelectMany(t => new[] { t.Item1, t.Item2, t.Item3, t.Item4 })) t.Dispose();
            return samples;
        }).ToArray();
    }

    /// <summary>The sparsities thresholds are tabled at: 0.05 … 0.95.</summary>
    public static double[] Levels { get; } = Enumerable.Range(1, 19).Select(i => i * 0.05).ToArray();

    /// <summary>Per level, the value below which that share of all the samples' entries falls (TEAL's calibration).</summary>
    public static double[] Quantiles(Tensor values)
    {
        using var scope = NewDisposeScope();
        var flat = values.flatten();
        if (flat.shape[0] > 1 << 24) flat = flat.index_select(0, randint(flat.shape[0], [1 << 24], generator: new Generator(1)));
        var sorted = flat.sort().Values;
        var n = sorted.shape[0];
        return Levels.Select(level => sorted[Math.Min(n - 1, (long)(level * n))].item<float>()).Select(v => (double)v).ToArray();
    }
}
