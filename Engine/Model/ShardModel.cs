using TorchSharp;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Memory;
using OrleansLlm.Engine.Model.Layers;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// The weights a shard holds: a <see cref="ModelSlice"/> of a model on one device, its layers as the decoder layer
/// (Layer.torchscript) reads them (<see cref="Layer"/> records, float or int8, dense or laid out for sparse decode), or
/// a weight window that streams their halves in. With the full slice it is the whole model. How a step runs over them
/// is ShardModel.Forward.cs; the forms one call at a time a half-layer (tensor-parallel ranks summing in messages,
/// weight windows, sequence parallelism) are ShardModel.Halves.cs.
/// </summary>
public sealed partial class ShardModel : IDisposable
{
    private readonly Tensor? _embedding; // [V, hidden]
    private readonly Tensor? _embeddingScale; // Gemma's sqrt(hidden), a 0-dim tensor in the model's dtype as transformers rounds it
    private readonly Tensor? _finalNorm;  // [hidden]
    private readonly Lin? _head;          // [V, hidden]; the embedding itself when tied
    private readonly bool _headIsView;
    private Layer[] _layers = [];
    private IBlockStore? _window;
    private Tensor[] _postNorms = []; // a windowed shard's norms after each half (2·layer + half), resident for the fold
    private readonly int _slidingWindow; // the widest window of any layer (0: none), read once rather than every step
    private Quantization.StaticPlan? _staticPlan;
    private Sparsity.SparseLayers? _sparse;
    private Shape _shape;
    private LayerForm _form = LayerForm.Dense;

    public ModelConfig Config { get; }
    public ModelSlice Slice { get; }
    public Device Device { get; }
    public ScalarType DType { get; }
    public RotaryEmbedding Rope { get; }

    /// <summary>The RoPE of local layers where they have their own (Gemma 3); null otherwise.</summary>
    internal RotaryEmbedding? LocalRope { get; }

    private ShardModel(ModelConfig config, ModelSlice slice, ShardOptions options, IWeightSource source,
        IProgress<double>? progress, IWeightSource? streamed)
    {
        Config = config;
        Slice = slice;
        Device = new Device(options.Device);
        DType = options.DType;
        Rope = new RotaryEmbedding(config, config.Rope, Device);
        _slidingWindow = config.SlidingWindow;
        LocalRope = config.LocalRope is { } local ? new RotaryEmbedding(config, local, Device) : null;
        if (config.EmbeddingScale != 1.0 && slice.HasEmbedding)
            _embeddingScale = tensor((float)config.EmbeddingScale).to(DType, Device);
        _shape = ShapeOf(options.Int8?.Threshold ?? double.PositiveInfinity);
        try
        {
            (_embedding, _finalNorm, _head, _headIsView) = LoadEnds(source);
            if (options.Window > 0)
            {
                _window = new WeightWindow(new SourceBlockLoader(streamed!, Config, Slice, DType, Device, options.Int8 is not null, ownsSource: true),
                    options.Window, ModelSizing.BlockBytes(Config, Slice, DType, options.Int8 is not null, true),
                    ModelSizing.BlockBytes(Config, Slice, DType, options.Int8 is not null, false));
                _postNorms = LoadPostNorms(source);
            }
            else _layers = LoadLayers(source, int8: options.Int8 is { Static: null }, progress);
            if (options.Int8?.Static is { } settings) MakeStatic(options.Int8.Threshold, settings);
            if (options.Sparsity is { } sparsity) MakeSparse(sparsity);
        }
        catch
        {
            Dispose();
            throw;
        }
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
        if (config.Experts is not null && (options.Window > 0 || options.Sparsity is not null || options.Int8?.Static is not null))
            throw new ArgumentException($"{config.FamilyName} (a mixture of experts) runs resident float or LLM.int8() layers: no weight window, sparsity or int8-static");
        if (options.Window > 0 && streamed is null) throw new ArgumentException("a weight window needs a source to stream from");
        var model = new ShardModel(config, slice, options, source, progress, streamed);
        Memory.NativeHeap.Trim();
        return model;
    }

    private Shape ShapeOf(double int8Threshold) =>
        new(Slice.KvHeadCount * (long)Config.GroupSize, Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps, 1.0 / Math.Sqrt(Config.HeadDim),
            Config.AttentionSoftcap, int8Threshold, SparseMode: 0, KeepNeurons: 0, KeepHeads: 0, Neurons: Config.IntermediateSize, Heads: Config.NumHeads,
            NeuronStart: Slice.FfnStart, NeuronEnd: Slice.FfnEnd, HeadStart: Slice.KvHeadStart * (long)Config.GroupSize,
            HeadEnd: Slice.KvHeadEnd * (long)Config.GroupSize, Chunk: 0, Clique: 0, Rank: 0, TopK: Config.Experts?.TopK ?? 0,
            NormTopK: Config.Experts?.NormTopK ?? false);

    /// <summary>The embedding, final norm and head rows this slice holds.</summary>
    private (Tensor?, Tensor?, Lin?, bool) LoadEnds(IWeightSource source)
    {
        using var scope = NewDisposeScope();
        var reader = new SliceReader(source, DType, Device);
        var vocab = new long[] { Config.VocabSize, Config.HiddenSize };
        var embedding = Slice.HasEmbedding ? reader.Read("model.embed_tokens.weight", vocab) : null;
        Tensor? norm = null, head = null;
        var view = false;
        if (Slice.HasHead)
        {
            norm = reader.Read("model.norm.weight", [Config.HiddenSize], shift: Config.NormWeightOffset);
            (head, view) = Head(reader, embedding, vocab);
        }
        scope.MoveToOuter(new[] { embedding, norm, head }.OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>());
        return (embedding, norm, head is null ? null : Lin.Float(head), view);
    }

    /// <summary>The head rows this slice computes: a view of the embedding when tied and held, else read.</summary>
    private (Tensor Head, bool View) Head(SliceReader reader, Tensor? embedding, long[] shape)
    {
        var (v0, v1) = Slice.VocabRange(Config);
        var rows = new Range(v0, v1);
        if (!Config.TieWordEmbeddings) return (reader.Read("lm_head.weight", shape, rows), false);
        if (embedding is null) return (reader.Read("model.embed_tokens.weight", shape, rows), false);
        if (v0 == 0 && v1 == Config.VocabSize) return (embedding, false);
        return (embedding.narrow(0, v0, v1 - v0), true);
    }

    /// <summary>The slice's layers, half by half as its family names them; int8 linears quantized as they arrive.</summary>
    private Layer[] LoadLayers(IWeightSource source, bool int8, IProgress<double>? progress)
    {
        var layers = new List<Layer>();
        try
        {
            var reader = new LayerReader(source, DType, Device);
            for (var i = 0; i < Slice.LayerCount; i++)
            {
                var l = Slice.LayerStart + i;
                using var scope = NewDisposeScope();
                var attn = (Attn)LayerHalves.Quantized(reader.Attention(Config.Family.Attention(Config, Slice, l), Config.WindowOf(l), Config.RopeOf(l)), int8);
                var mlp = (Mlp)LayerHalves.Quantized(reader.Mlp(Config.Family.Mlp(Config, Slice, l), Config.ActivationKind), int8);
                var layer = new Layer(attn, mlp, Choice.None);
                scope.MoveToOuter(layer.Held);
                layers.Add(layer);
                progress?.Report((i + 1.0) / (Slice.LayerCount + 1));
            }
            progress?.Report(1.0);
            return [.. layers];
        }
        catch
        {
            foreach (var t in layers.SelectMany(l => l.Held)) t.Dispose();
            throw;
        }
    }

    /// <summary>The layers' linears as llm.npu's static int8, calibrated on the text (one shard holding the whole model).</summary>
    private void MakeStatic(double threshold, Quantization.StaticInt8 settings)
    {
        if (_embedding is null || !Slice.CoversAllHeadsAndColumns(Config) || Slice.LayerStart != 0)
            throw new ArgumentException("static int8 with shadow outliers needs one shard holding the whole model (calibration runs it)");
        using var scope = NewDisposeScope();
        var embedded = Embed(tensor(settings.CalibrationIds.Select(i => (long)i).ToArray()));
        _staticPlan = Quantization.StaticCalibration.Run(this, embedded, threshold, settings);
        _layers = Quantization.StaticLayers.Quantize(_layers, _staticPlan);
    }

    /// <summary>The layers laid out for contextual sparsity; the float layers' tensors move there (no second copy).</summary>
    private void MakeSparse(Sparsity.SparsityOptions sparsity)
    {
        var file = sparsity.File ?? (sparsity.NeedsFile ? Sparsity.SparsityFile.Load(sparsity.ModelDir!, Config) : null);
        try
        {
            if (sparsity.Recall is { } recall)
                sparsity = sparsity with { Sparsity = file!.Header.SparsityFor(recall, sparsity.ModelDir ?? "the given file") };
            _sparse = new Sparsity.SparseLayers(Config, Slice, sparsity with { File = file }, Device);
            _layers = _sparse.LayOut(_layers);
            _shape = _sparse.Shape(_shape);
            _form = new LayerForm(Sparse: true, Join.Residual);
        }
        finally { if (file != sparsity.File) file?.Dispose(); }
    }

    /// <summary>Whether decode steps compute only their chosen heads and neurons.</summary>
    public bool IsSparse => _sparse is not null;

    /// <summary>The share of heads and neurons a sparse shard skips (a recall target's, resolved at load); null when dense.</summary>
    public double? SparseShare => _sparse?.Share;

    /// <summary>A sparse shard whose decode steps can be captured as CUDA graphs (see SparseLayers.GraphSafe).</summary>
    public bool SparseGraphSafe => _sparse is { GraphSafe: true };

    /// <summary>Whether the layers stream through a weight window rather than all being held.</summary>
    public bool Windowed => _window is not null;

    /// <summary>
    /// Whether a decode step of <paramref name="rows"/> rows runs without the host deciding anything mid-step, so a CUDA
    /// graph can hold it. A window loads blocks between kernels, and static int8's shadows run on the host: never.
    /// LLM.int8() picks its outlier columns from the data (a host sync), but only where the int8 matmul runs: a CUDA
    /// decode step of at most 16 rows takes the weight-only kernel instead (Parts/Linear's int8_fits), and a threshold
    /// of inf picks nothing.
    /// </summary>
    public bool DecodeGraphSafe(int rows)
    {
        if (_window is not null || _staticPlan is not null) return false;
        if (_layers.All(l => l.Attn.Qkv.IsFloat)) return true;
        return rows <= WeightOnlyInt8Rows || double.IsPositiveInfinity(_shape.Int8Threshold);
    }

    /// <summary>The most rows for which CUDA's int8 decode takes the weight-only kernel (Parts/Linear.torchscript's int8_fits).</summary>
    public const int WeightOnlyInt8Rows = 16;

    /// <summary>A static int8 shard's calibration: scales, outlier channels and which linears got shadows.</summary>
    public Quantization.StaticPlan? StaticPlan => _staticPlan;

    /// <summary>What the shard's weight store has done: window size, loads, loading and waiting time.</summary>
    public WindowStats WeightStats => _window?.Stats ?? WindowStats.Resident(2 * Slice.LayerCount);

    private IEnumerable<Tensor> OwnedTensors() =>
        new[] { _embedding, _finalNorm, _head?.Weight }.OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>();

    /// <summary>Bytes of weights this shard holds (a tied head that is the embedding, or a view of its rows, holds none of its own).</summary>
    public long WeightBytes
    {
        get
        {
            var ends = new List<Tensor>();
            if (_embedding is not null) ends.Add(_embedding);
            if (_finalNorm is not null) ends.Add(_finalNorm);
            if (_head is { } head && !_headIsView && !ReferenceEquals(head.Weight, _embedding)) ends.Add(head.Weight);
            return ends.Concat(_layers.SelectMany(l => l.Held)).Concat(_postNorms.Where(t => !ReferenceEquals(t, Lin.None))).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()
                .Sum(t => t.NumberOfElements * t.ElementSize) + (_window?.HeldBytes ?? 0);
        }
    }

    /// <summary>A KV cache for one sequence over this shard's layers and KV heads.</summary>
    public KvCache NewCache(long capacity) =>
        new(Slice.LayerCount, Slice.KvHeadCount, Config.HeadDim, capacity, DType, Device);

    public long CacheBytes(long capacity) =>
        KvCache.BytesFor(Slice.LayerCount, Slice.KvHeadCount, Config.HeadDim, capacity, DType);

    /// <summary>
    /// A paged KV pool over this shard's layers and KV heads: <paramref name="blocks"/> blocks a layer, and
    /// <paramref name="localBlocks"/> (the sequences' rings) for sliding layers, where given.
    /// </summary>
    public PagedKvPool NewPool(int blocks, int blockSize, int? localBlocks = null) =>
        new(Enumerable.Range(Slice.LayerStart, Slice.LayerCount).Select(l => Config.WindowOf(l) > 0 ? localBlocks ?? blocks : blocks).ToArray(),
            Enumerable.Range(Slice.LayerStart, Slice.LayerCount).Select(l => Config.WindowOf(l) > 0 && localBlocks is not null).ToArray(),
            Slice.KvHeadCount, Config.HeadDim, blockSize, DType, Device);

    /// <summary>Embeddings [S, hidden] of token ids [S] (int64, any device).</summary>
    public Tensor Embed(Tensor ids)
    {
        if (_embedding is null) throw new InvalidOperationException($"this shard ({Slice}) holds no embedding");
        using var onDevice = ids.to(Device);
        var rows = _embedding.index_select(0, onDevice);
        if (_embeddingScale is null) return rows;
        using (rows) return rows.mul(_embeddingScale);
    }

    /// <summary>Logits [S, V] in float32 for hidden states [S, hidden] after the last layer (the slice's rows of V).</summary>
    public Tensor Logits(Tensor x)
    {
        if (_head is null || _finalNorm is null) throw new InvalidOperationException($"this shard ({Slice}) holds no head");
        using var scope = NewDisposeScope();
        var logits = LayerForm.Dense.Unit.Call<Tensor>("normed_head", x.to(DType, Device), _finalNorm, _head, _shape).to(ScalarType.Float32);
        if (Config.FinalLogitSoftcap > 0)
        {
            // Gemma 2: cap · tanh(logits / cap), elementwise, so each vocabulary slice caps its own rows.
            using var cap = Config.FinalLogitSoftcap.ToScalar();
            logits = logits.div(cap).tanh_().mul_(cap);
        }
        return logits.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in OwnedTensors()) t.Dispose();
        foreach (var t in _postNorms.Where(t => !ReferenceEquals(t, Lin.None))) t.Dispose();
        foreach (var t in _layers.SelectMany(l => l.Held).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.Dispose();
        _layers = [];
        _window?.Dispose();
        _sparse?.Dispose();
        Rope.Dispose();
        LocalRope?.Dispose();
        _embeddingScale?.Dispose();
    }
}
