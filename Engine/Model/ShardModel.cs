using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// The weights a shard holds: a <see cref="ModelSlice"/> of a Llama-family model on one device. With the full slice it
/// is the whole model; the forward of a full-head slice over its layers is <see cref="ForwardLayers"/>, and the
/// pieces for other parallel schemes are the layers themselves.
/// </summary>
public sealed partial class ShardModel : IDisposable
{
    private readonly Tensor? _embedding; // [V, hidden]
    private readonly Tensor? _finalNorm;  // [hidden]
    private readonly Tensor? _lmHead;     // [V, hidden]; the embedding itself when tied
    private TransformerLayer[] _layers;
    private Sparsity.SparseLayers? _sparse;
    private Tensor[] _kernelWeights = [];
    private bool _headIsView;

    public ModelConfig Config { get; }
    public ModelSlice Slice { get; }
    public Device Device { get; }
    public ScalarType DType { get; }
    public RotaryEmbedding Rope { get; }

    /// <summary>The resident float layers; a shard that holds its layers as blocks (int8, a window) has none to give.</summary>
    public IReadOnlyList<TransformerLayer> Layers => !UsesBlocks && _sparse is null ? _layers
        : _sparse is not null ? throw new InvalidOperationException("this shard holds its layers laid out for sparse decode; sequence parallelism needs resident float layers")
        : throw new InvalidOperationException("this shard holds its layers as int8 or windowed blocks; sequence parallelism needs resident float layers");

    private ShardModel(ModelConfig config, ModelSlice slice, ShardOptions options, IWeightSource source,
        IProgress<double>? progress, IWeightSource? streamed)
    {
        Config = config;
        Slice = slice;
        Device = new Device(options.Device);
        DType = options.DType;
        Rope = new RotaryEmbedding(config, Device);
        _layers = new TransformerLayer[options.UsesBlocks ? 0 : slice.LayerCount];
        _threshold = options.Int8?.Threshold ?? double.PositiveInfinity;
        try
        {
            (_embedding, _finalNorm, _lmHead) = LoadWeights(source, progress);
            _kernelWeights = _layers.SelectMany(l => l.KernelWeights).ToArray();
            if (options.UsesBlocks) LoadBlocks(options, source, streamed, progress);
            if (options.Sparsity is { } sparsity) MakeSparse(sparsity);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The layers laid out for contextual sparsity; the float layers' tensors move there (no second copy).</summary>
    private void MakeSparse(Sparsity.SparsityOptions sparsity)
    {
        var file = sparsity.File ?? (sparsity.NeedsFile ? Sparsity.SparsityFile.Load(sparsity.ModelDir!, Config) : null);
        try
        {
            if (sparsity.Recall is { } recall)
                sparsity = sparsity with { Sparsity = file!.Header.SparsityFor(recall, sparsity.ModelDir ?? "the given file") };
            _sparse = new Sparsity.SparseLayers(Config, Slice, _layers, sparsity with { File = file }, Device);
        }
        finally { if (file != sparsity.File) file?.Dispose(); }
        _layers = [];
        _kernelWeights = [];
    }

    /// <summary>Whether decode steps compute only their chosen heads and neurons.</summary>
    public bool IsSparse => _sparse is not null;

    /// <summary>The share of heads and neurons a sparse shard skips (a recall target's, resolved at load); null when dense.</summary>
    public double? SparseShare => _sparse?.Share;

    /// <summary>A sparse shard whose decode steps can be captured as CUDA graphs (see SparseLayers.GraphSafe).</summary>
    public bool SparseGraphSafe => _sparse is { GraphSafe: true };

    private (Tensor?, Tensor?, Tensor?) LoadWeights(IWeightSource source, IProgress<double>? progress)
    {
        // Everything read goes into this scope: kept tensors are moved out at the end, and an exception frees them all.
        using var scope = NewDisposeScope();
        var (config, slice) = (Config, Slice);
        var reader = new SliceReader(source, DType, Device);
        var vocab = new long[] { config.VocabSize, config.HiddenSize };
        var embedding = slice.HasEmbedding ? reader.Read("model.embed_tokens.weight", vocab) : null;
        for (var i = 0; i < _layers.Length; i++)
        {
            _layers[i] = TransformerLayer.Load(source, config, slice, slice.LayerStart + i, DType, Device);
            progress?.Report((i + 1.0) / (_layers.Length + 1));
        }
        Tensor? norm = null, head = null;
        if (slice.HasHead)
        {
            norm = reader.Read("model.norm.weight", [config.HiddenSize]);
            head = Head(reader, embedding, vocab);
        }
        scope.MoveToOuter(new[] { embedding, norm, head }.OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()
            .Concat(_layers.SelectMany(l => l.Tensors)));
        progress?.Report(1.0);
        return (embedding, norm, head);
    }

    /// <summary>
    /// Loads a slice of a model. Any failure frees what was loaded so far. A shard with a weight window streams its
    /// blocks from <paramref name="streamed"/> for as long as it lives (and disposes it); the rest is read from
    /// <paramref name="source"/>, which the caller keeps.
    /// </summary>
    public static ShardModel Load(ModelConfig config, ModelSlice slice, ShardOptions options, IWeightSource source,
        IProgress<double>? progress = null, IWeightSource? streamed = null)
    {
        slice.Validate(config);
        options.Validate();
        if (options.Window > 0 && streamed is null) throw new ArgumentException("a weight window needs a source to stream from");
        return new ShardModel(config, slice, options, source, progress, streamed);
    }

    /// <summary>The head rows this slice computes: a view of the embedding when tied and held, else read.</summary>
    private Tensor Head(SliceReader reader, Tensor? embedding, long[] shape)
    {
        var (v0, v1) = Slice.VocabRange(Config);
        var rows = new Range(v0, v1);
        if (!Config.TieWordEmbeddings) return reader.Read("lm_head.weight", shape, rows);
        if (embedding is null) return reader.Read("model.embed_tokens.weight", shape, rows);
        if (v0 == 0 && v1 == Config.VocabSize) return embedding;
        _headIsView = true;
        return embedding.narrow(0, v0, v1 - v0);
    }

    private IEnumerable<Tensor> OwnedTensors() => new[] { _embedding, _finalNorm, _lmHead }.OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>();

    /// <summary>Bytes of weights this shard holds (a tied head that is the embedding, or a view of its rows, holds none of its own).</summary>
    public long WeightBytes =>
        OwnedTensors().Where(t => !ReferenceEquals(t, _lmHead) || !_headIsView).Concat(_layers.SelectMany(l => l.Tensors))
            .Sum(t => t.NumberOfElements * t.ElementSize) + (_blocks?.HeldBytes ?? 0) + (_static?.Bytes ?? 0) + (_sparse?.Bytes ?? 0);

    /// <summary>A KV cache for one sequence over this shard's layers and KV heads.</summary>
    public KvCache NewCache(long capacity) =>
        new(Slice.LayerCount, Slice.KvHeadCount, Config.HeadDim, capacity, DType, Device);

    public long CacheBytes(long capacity) =>
        KvCache.BytesFor(Slice.LayerCount, Slice.KvHeadCount, Config.HeadDim, capacity, DType);

    /// <summary>A paged KV pool over this shard's layers and KV heads.</summary>
    public PagedKvPool NewPool(int blocks, int blockSize) =>
        new(Slice.LayerCount, Slice.KvHeadCount, Config.HeadDim, blocks, blockSize, DType, Device);

    /// <summary>
    /// Runs this shard's layers (every head and FFN column of them) over a batch of sequences x [T, hidden] laid out
    /// as <paramref name="batch"/> says, writing their KV into <paramref name="pool"/>.
    /// </summary>
    public Tensor ForwardBatch(Tensor x, BatchTensors batch, PagedKvPool pool)
    {
        if (!Slice.CoversAllHeadsAndColumns(Config))
            throw new InvalidOperationException("ForwardBatch needs every head and FFN column; run the tensor-parallel layer instead");
        if (UsesBlocks) return ForwardBlocks(x, batch, pool);
        using var scope = NewDisposeScope();
        var (cos, sin) = Rope.Tables(batch.Positions, DType);
        if (_sparse is not null)
            return _sparse.Forward(x.to(DType, Device), batch, pool, cos, sin, Slice.KvHeadCount * Config.GroupSize, Slice.KvHeadCount).MoveToOuterDisposeScope();
        var output = Kernels.ForwardBatch(x.to(DType, Device), _kernelWeights, [.. pool.Keys], [.. pool.Values], batch,
            cos, sin, Slice.KvHeadCount * Config.GroupSize, Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// This rank's layers over a batch, summing partials with the other ranks of <paramref name="collective"/> (GPUs of
    /// this process, through NCCL) inside the call: the stage's output [T, hidden], the same on every rank.
    /// </summary>
    public Tensor ForwardBatchTp(Tensor x, BatchTensors batch, PagedKvPool pool, Parallel.DeviceCollective collective)
    {
        using var scope = NewDisposeScope();
        var (cos, sin) = Rope.Tables(batch.Positions, DType);
        var output = Kernels.ForwardBatchTp(x.to(DType, Device), _kernelWeights, [.. pool.Keys], [.. pool.Values], batch,
            cos, sin, Slice.KvHeadCount * Config.GroupSize, Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps, collective.Clique, collective.Rank);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>This slice's attention partial sum [T, hidden] of layer <paramref name="layer"/> over a batch (tensor parallel).</summary>
    public Tensor AttentionPartial(int layer, Tensor x, BatchTensors batch, PagedKvPool pool, Tensor cos, Tensor sin) =>
        UsesBlocks ? BlockAttentionPartial(layer, x, batch, pool, cos, sin)
        : _sparse is not null ? _sparse.AttentionPartial(layer, x, batch, pool, cos, sin, Slice.KvHeadCount * Config.GroupSize, Slice.KvHeadCount)
        : Kernels.AttentionPaged(x, _kernelWeights, layer, pool.Keys[layer], pool.Values[layer], batch, cos, sin,
            Slice.KvHeadCount * Config.GroupSize, Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps);

    /// <summary>This slice's MLP partial sum [T, hidden] of layer <paramref name="layer"/> (tensor parallel).</summary>
    public Tensor MlpPartial(int layer, Tensor x, BatchTensors? batch = null) =>
        UsesBlocks ? BlockMlpPartial(layer, x)
        : _sparse is not null ? _sparse.MlpPartial(layer, x, batch ?? throw new ArgumentNullException(nameof(batch), "a sparse rank's MLP needs its batch (which rows are sparse)"))
        : _layers[layer].MlpPartial(x);

    /// <summary>Embeddings [S, hidden] of token ids [S] (int64, any device).</summary>
    public Tensor Embed(Tensor ids)
    {
        if (_embedding is null) throw new InvalidOperationException($"this shard ({Slice}) holds no embedding");
        using var onDevice = ids.to(Device);
        return _embedding.index_select(0, onDevice);
    }

    /// <summary>
    /// Runs this shard's layers over hidden states x [S, hidden] at positions [cache.Length, cache.Length + S),
    /// appending to the cache. Needs a slice with every head and FFN column (one shard or a pipeline stage).
    /// </summary>
    public Tensor ForwardLayers(Tensor x, KvCache cache)
    {
        if (!Slice.CoversAllHeadsAndColumns(Config))
            throw new InvalidOperationException("ForwardLayers needs every head and FFN column; sum partials instead");
        if (UsesBlocks) return ForwardLayerBlocks(x, cache);
        if (_sparse is not null) throw new InvalidOperationException("a sparse shard runs batches in a paged pool only");
        using var scope = NewDisposeScope();
        var s = x.shape[0];
        var start = cache.Length;
        var positions = arange(start, start + s, ScalarType.Int64, Device);
        var (cos, sin) = Rope.Tables(positions, DType);
        var storage = Enumerable.Range(0, _layers.Length).Select(i => cache[i].StorageFor(s)).ToArray();
        var output = Kernels.ForwardLayers(x.to(DType, Device), _kernelWeights, storage.Select(t => t.Keys).ToArray(),
            storage.Select(t => t.Values).ToArray(), storage.Select(t => t.Positions).ToArray(), start, positions, cos,
            sin, Slice.KvHeadCount * Config.GroupSize, Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps);
        for (var i = 0; i < _layers.Length; i++) cache[i].Commit(s);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Logits [S, V] in float32 for hidden states [S, hidden] after the last layer (the slice's rows of V).</summary>
    public Tensor Logits(Tensor x)
    {
        if (_lmHead is null || _finalNorm is null) throw new InvalidOperationException($"this shard ({Slice}) holds no head");
        using var scope = NewDisposeScope();
        return Kernels.NormLinear(x.to(DType, Device), _finalNorm, Config.RmsNormEps, _lmHead).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in OwnedTensors()) t.Dispose();
        foreach (var l in _layers) l?.Dispose();
        _blocks?.Dispose();
        _static?.Dispose();
        _sparse?.Dispose();
        Rope.Dispose();
    }
}
