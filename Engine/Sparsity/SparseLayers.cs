using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sparsity;

/// <summary>
/// A shard's layers laid out for contextual sparsity (Parts/Sparse.torchscript): o_proj as loaded (a head's weights are
/// D contiguous columns of each row), and each FFN neuron's gate row, up row and down column side by side in one [F, 3h]
/// tensor, so a chosen neuron is one contiguous read and dense rows use strided views of the same memory (the shard
/// holds no second copy). Each layer also gets what chooses for it: predictors, thresholds or a fixed choice. A
/// tensor-parallel rank holds its share of each layer's heads and neurons and the whole layer's predictors and fixed
/// choices, so every rank makes the choice one shard would make and computes its share of it.
/// </summary>
internal sealed class SparseLayers(ModelConfig c, ModelSlice slice, SparsityOptions options, Device device) : IDisposable
{
    private readonly int _kNeurons = options.Kept(c.IntermediateSize), _kHeads = options.Kept(c.NumHeads);

    /// <summary>
    /// Whether a decode step can be a CUDA graph: its choices have a fixed size and come from the device (learned and
    /// fixed modes); thresholds choose a varying number on the host, random draws would repeat in every replay.
    /// </summary>
    public bool GraphSafe => options.Mode is SparsityMode.Learned or SparsityMode.Fixed;

    /// <summary>The share of each layer's heads and neurons a decode token skips.</summary>
    public double Share => options.Sparsity;

    /// <summary>The shape with the sparse decode's mode and counts (and, on CPU, how many neuron rows to gather at once).</summary>
    public Shape Shape(Shape dense)
    {
        // Rows of neurons gathered at a time on a CPU: a chunk stays in cache between its gather and its products.
        var chunk = device.type == TorchSharp.DeviceType.CUDA ? long.MaxValue / 2
            : Math.Max(16, (long.TryParse(OrleansLlm.Switches.OlmSwitches.SparseChunkKb.Value, out var kb) ? kb << 10 : 2L << 20) / (3L * c.HiddenSize * 4));
        return dense with { SparseMode = (long)options.Mode, KeepNeurons = _kNeurons, KeepHeads = _kHeads, Chunk = chunk };
    }

    /// <summary>The float layers laid out for sparse decode; their gate-up and down weights are freed once relaid.</summary>
    public Layer[] LayOut(IReadOnlyList<Layer> layers)
    {
        if (c.MlpBias) throw new ArgumentException("--sparsity needs an MLP without biases (gate/up/down); this model has them");
        if (options.Mode == SparsityMode.Random && !slice.CoversAllHeadsAndColumns(c))
            throw new ArgumentException("--sparsity-mode random draws on each tensor-parallel rank apart; use learned, threshold or fixed");
        if (layers.Any(l => !l.Mlp.GateUp.IsFloat)) throw new ArgumentException("--sparsity runs on float layers: not with --quantize");
        var result = new Layer[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = slice.LayerStart + i;
            var (attn, mlp) = (layers[i].Attn, layers[i].Mlp);
            var f = mlp.GateUp.Weight.shape[0] / 2;
            var gu = mlp.GateUp.Weight;
            var neurons = cat([gu.narrow(0, 0, f), gu.narrow(0, f, f), mlp.Down.Weight.t()], 1).contiguous().DetachFromDisposeScope();
            var (mlpTau, headTau) = options.Mode == SparsityMode.Threshold ? options.File!.Thresholds(layer, options.Sparsity) : (0, 0);
            gu.Dispose();
            mlp.Down.Weight.Dispose();
            result[i] = new Layer(
                attn with { HeadThreshold = Scalar(headTau) },
                mlp with { GateUp = Lin.Float(Lin.None), Down = Lin.Float(Lin.None, mlp.Down.Bias.numel() == 0 ? null : mlp.Down.Bias), Neurons = neurons, NeuronThreshold = Scalar(mlpTau) },
                ChoiceOf(layer));
        }
        return result;
    }

    private Tensor Scalar(double value) => tensor(new[] { (float)value }).to(device).DetachFromDisposeScope();

    /// <summary>What chooses for a layer: its predictors (learned), its fixed choice (fixed), nothing otherwise.</summary>
    private Choice ChoiceOf(int layer) => options.Mode switch
    {
        SparsityMode.Learned => Predictors(layer),
        SparsityMode.Fixed => Choice.None with
        {
            FixedNeurons = Device(FixedIndices(layer, false, c.IntermediateSize, _kNeurons)),
            FixedHeads = Device(FixedIndices(layer, true, c.NumHeads, _kHeads)),
        },
        _ => Choice.None,
    };

    private Choice Predictors(int layer)
    {
        var p = options.File!.Predictors.Skip(4 * layer).Take(4).Select(t => t.to(device).clone().DetachFromDisposeScope()).ToArray();
        return Choice.None with { NeuronsIn = p[0], NeuronsOut = p[1], HeadsIn = p[2], HeadsOut = p[3] };
    }

    private Tensor Device(long[] indices) => tensor(indices).to(device).DetachFromDisposeScope();

    /// <summary>Fixed mode's choice for a layer: the first k of n after a permutation seeded by the layer (ascending).</summary>
    internal static long[] FixedIndices(int layer, bool heads, int n, int k)
    {
        var random = new Random(layer * 7919 + (heads ? 2 : 1));
        return Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k).Select(i => (long)i).Order().ToArray();
    }

    /// <summary>The layers' tensors belong to the shard that holds them.</summary>
    public void Dispose() { }
}
