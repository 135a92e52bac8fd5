using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sparsity;

/// <summary>
/// A shard's layers laid out for contextual sparsity (<c>Sparse.torchscript</c>): o_proj as loaded (a head's weights
/// are D contiguous columns of each row), and each FFN neuron's gate row, up row and down column side by side in one
/// [F, 3h] tensor, so a chosen neuron is one contiguous read and dense rows use strided views of the same memory
/// (the shard holds no second copy). Also the layers' selection inputs: predictors, thresholds or a fixed choice.
/// A tensor-parallel rank holds its share of each layer's heads and neurons and the whole layer's predictors and
/// fixed choices, so every rank makes the choice one shard would make and computes its share of it.
/// </summary>
internal sealed class SparseLayers : IDisposable
{
    private readonly Tensor[] _weights;     // 9 a layer
    private readonly Tensor[] _predictors;  // 4 a layer (learned mode) on the device
    private readonly Tensor[] _fixed;       // 2 a layer (fixed mode)
    private readonly List<Tensor> _owned = [];
    private readonly SparsityOptions _options;
    private readonly ModelConfig _c;
    private readonly int _kNeurons, _kHeads;
    private readonly ModelSlice _slice;

    // A rank's step in flight: its rows (made once a step, not twice a layer), the choice of the layer in flight and,
    // the lookahead, of the layer after it (made from the input of the one in flight).
    private (BatchTensors Batch, Tensor Sparse, Tensor Dense)? _stepRows;
    private (BatchTensors Batch, int Layer, Tensor Neurons, Tensor Heads)? _next;
    private (BatchTensors Batch, int Layer, Tensor Neurons, Tensor Heads)? _current;

    /// <summary>Rows of neurons gathered at a time: a chunk stays in a CPU's cache between its gather and its products.</summary>
    private readonly long _chunk;

    public SparseLayers(ModelConfig c, ModelSlice slice, IReadOnlyList<TransformerLayer> layers, SparsityOptions options, Device device)
    {
        if (c.MlpBias) throw new ArgumentException("--sparsity needs an MLP without biases (gate/up/down); this model has them");
        if (options.Mode == SparsityMode.Random && !slice.CoversAllHeadsAndColumns(c))
            throw new ArgumentException("--sparsity-mode random draws on each tensor-parallel rank apart; use learned, threshold or fixed");
        _c = c;
        _slice = slice;
        _options = options;
        _kNeurons = options.Kept(c.IntermediateSize);
        _kHeads = options.Kept(c.NumHeads);
        var h = c.HiddenSize;
        _chunk = device.type == TorchSharp.DeviceType.CUDA ? long.MaxValue / 2
            : Math.Max(16, (long.TryParse(Environment.GetEnvironmentVariable("OLM_SPARSE_CHUNK_KB"), out var kb) ? kb << 10 : 2L << 20) / (3L * h * 4));
        var weights = new List<Tensor>();
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = slice.LayerStart + i;
            var w = layers[i].KernelWeights; // norm, qkv, qkv b, o, o b, post norm, gate-up, gate-up b, down, down b
            var f = w[6].shape[0] / 2;
            var neurons = Own(cat([w[6].narrow(0, 0, f), w[6].narrow(0, f, f), w[8].t()], 1).contiguous());
            var (mlpTau, headTau) = options.Mode == SparsityMode.Threshold ? options.File!.Thresholds(layer, options.Sparsity) : (0, 0);
            var tau = Own(tensor(new[] { (float)mlpTau, (float)headTau }).to(device));
            weights.AddRange([w[0], w[1], w[2], w[3], w[4], w[5], neurons, w[9], tau]);
            w[6].Dispose();
            w[8].Dispose();
        }
        _weights = [.. weights];
        _predictors = options.Mode == SparsityMode.Learned
            ? Enumerable.Range(slice.LayerStart, slice.LayerCount).SelectMany(l => options.File!.Predictors.Skip(4 * l).Take(4))
                .Select(t => Own(t.to(device).clone())).ToArray()
            : [];
        _fixed = options.Mode == SparsityMode.Fixed ? FixedChoice(slice, device) : [];
    }

    private Tensor Own(Tensor t)
    {
        _owned.Add(t.DetachFromDisposeScope());
        return t;
    }

    /// <summary>Per layer the first k neurons and heads of a permutation drawn from the layer's index (the same in every process).</summary>
    private Tensor[] FixedChoice(ModelSlice slice, Device device)
    {
        Tensor First(int layer, bool heads, int n, int k) => Own(tensor(FixedIndices(layer, heads, n, k)).to(device));
        return Enumerable.Range(slice.LayerStart, slice.LayerCount)
            .SelectMany(l => new[] { First(l, false, _c.IntermediateSize, _kNeurons), First(l, true, _c.NumHeads, _kHeads) }).ToArray();
    }

    /// <summary>Fixed mode's choice for a layer: the first k of n after a permutation seeded by the layer (ascending).</summary>
    internal static long[] FixedIndices(int layer, bool heads, int n, int k)
    {
        var random = new Random(layer * 7919 + (heads ? 2 : 1));
        return Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(k).Select(i => (long)i).Order().ToArray();
    }

    /// <summary>
    /// Whether a decode step can be a CUDA graph: its choices have a fixed size and come from the device (learned and
    /// fixed modes); thresholds choose a varying number on the host, random draws would repeat in every replay.
    /// </summary>
    public bool GraphSafe => _options.Mode is SparsityMode.Learned or SparsityMode.Fixed;

    /// <summary>The share of each layer's heads and neurons a decode token skips.</summary>
    public double Share => _options.Sparsity;

    /// <summary>Bytes of the layers' weights and predictors.</summary>
    public long Bytes => _weights.Concat(_predictors).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()
        .Where(t => !ReferenceEquals(t, Kernels.NoBias)).Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>The layers over a batch: its decode rows and scored rows sparse, its prefill chunks dense.</summary>
    public Tensor Forward(Tensor x, BatchTensors batch, PagedKvPool pool, Tensor cos, Tensor sin, long qHeads, long kvHeads)
    {
        using var scope = NewDisposeScope();
        var (sparse, dense) = Rows(x, batch);
        var output = Kernels.ForwardSparse(x, _weights, _predictors, _fixed, [.. pool.Keys], [.. pool.Values], batch, cos, sin,
            qHeads, kvHeads, _c.HeadDim, _c.RmsNormEps, sparse, dense, (long)_options.Mode, _kNeurons, _kHeads, _chunk);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The batch's sparse rows and dense rows as device indices.</summary>
    private static (Tensor Sparse, Tensor Dense) Rows(Tensor x, BatchTensors batch)
    {
        var rows = batch.SparseRows;
        var sparseSet = rows.ToHashSet();
        var dense = Enumerable.Range(0, (int)x.shape[0]).Select(i => (long)i).Where(i => !sparseSet.Contains(i)).ToArray();
        // Every row sparse (a decode step): indices made on the device, no upload (a CUDA graph can hold them).
        return dense.Length == 0 && rows.Length == x.shape[0]
            ? (arange(rows.Length, ScalarType.Int64, x.device), empty(0, ScalarType.Int64, x.device))
            : (tensor(rows).to(x.device), tensor(dense).to(x.device));
    }

    /// <summary>
    /// A tensor-parallel rank's attention partial of <paramref name="layer"/> (float32, Engine/Parallel). Its input also
    /// makes the choice for the next layer (Deja Vu's lookahead, as one shard does); the first layer chooses from its own.
    /// </summary>
    public Tensor AttentionPartial(int layer, Tensor x, BatchTensors batch, PagedKvPool pool, Tensor cos, Tensor sin,
        long qHeads, long kvHeads)
    {
        using var scope = NewDisposeScope();
        var (sparse, dense) = StepRows(x, batch);
        var z = x.index_select(0, sparse);
        (Tensor Neurons, Tensor Heads) current;
        if (_next is { } n && ReferenceEquals(n.Batch, batch) && n.Layer == layer && layer > 0) current = (n.Neurons, n.Heads);
        else
        {
            if (_next is { } stale) { stale.Neurons.Dispose(); stale.Heads.Dispose(); }
            current = Choose(z, layer);
        }
        _next = null;
        ReplaceCurrent((batch, layer, current.Neurons, current.Heads));
        if (layer + 1 < _weights.Length / 9)
        {
            var (neurons, heads) = Choose(z, layer + 1);
            _next = (batch, layer + 1, neurons, heads);
        }
        var output = Kernels.SparseAttentionPartial(x, _weights, layer, pool.Keys[layer], pool.Values[layer], batch, cos, sin,
            qHeads, kvHeads, _c.HeadDim, _c.RmsNormEps, sparse, dense, current.Heads, (long)_options.Mode);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>A tensor-parallel rank's MLP partial of <paramref name="layer"/> (float32), over the neurons its attention call chose.</summary>
    public Tensor MlpPartial(int layer, Tensor x, BatchTensors batch)
    {
        using var scope = NewDisposeScope();
        var (sparse, dense) = StepRows(x, batch);
        var neurons = _current is { } c && ReferenceEquals(c.Batch, batch) && c.Layer == layer ? c.Neurons
            : throw new InvalidOperationException($"a sparse rank's MLP of layer {layer} runs right after its attention over the same batch");
        var output = Kernels.SparseMlpPartial(x, _weights, layer, _c.RmsNormEps, sparse, dense, neurons, (long)_options.Mode, _chunk);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The step's rows (kept beyond the caller's dispose scope until the next step's).</summary>
    private (Tensor Sparse, Tensor Dense) StepRows(Tensor x, BatchTensors batch)
    {
        if (_stepRows is { } r && ReferenceEquals(r.Batch, batch)) return (r.Sparse, r.Dense);
        if (_stepRows is { } old) { old.Sparse.Dispose(); old.Dense.Dispose(); }
        var (sparse, dense) = Rows(x, batch);
        _stepRows = (batch, sparse.DetachFromDisposeScope(), dense.DetachFromDisposeScope());
        return (sparse, dense);
    }

    /// <summary>This rank's share of the layer's choice for rows z (kept beyond the caller's dispose scope).</summary>
    private (Tensor Neurons, Tensor Heads) Choose(Tensor z, int layer)
    {
        var g = _c.GroupSize;
        var (neurons, heads) = Kernels.LocalChoice(z, _predictors, _fixed, layer, (long)_options.Mode, _kNeurons, _kHeads,
            _c.IntermediateSize, _c.NumHeads, _slice.FfnStart, _slice.FfnEnd, _slice.KvHeadStart * g, _slice.KvHeadEnd * g);
        return (neurons.DetachFromDisposeScope(), heads.DetachFromDisposeScope());
    }

    private void ReplaceCurrent((BatchTensors Batch, int Layer, Tensor Neurons, Tensor Heads) choice)
    {
        if (_current is { } old) { old.Neurons.Dispose(); old.Heads.Dispose(); }
        _current = choice;
    }

    public void Dispose()
    {
        if (_current is { } c) { c.Neurons.Dispose(); c.Heads.Dispose(); }
        if (_next is { } n) { n.Neurons.Dispose(); n.Heads.Dispose(); }
        if (_stepRows is { } r) { r.Sparse.Dispose(); r.Dense.Dispose(); }
        // Kernels.NoBias stands for every absent bias and belongs to the process.
        foreach (var t in _weights.Concat(_owned).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            if (!ReferenceEquals(t, Kernels.NoBias)) t.Dispose();
    }
}
