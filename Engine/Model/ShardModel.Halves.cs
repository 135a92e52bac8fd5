using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Memory;
using OrleansLlm.Engine.Model.Layers;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// The layer one half at a time (TPI-LLM's blocks: a layer's attention, then its MLP), for the forms that cannot run
/// the whole stack in one call: a weight window (each half runs while it is present), tensor-parallel ranks that sum in
/// messages (each half's partial is all-reduced before the next), and sequence parallelism (the attention assembled from
/// KV blocks the shards pass each other). The halves are the layer's own entries (attention_block, mlp_block).
/// </summary>
public sealed partial class ShardModel
{
    /// <summary>A step's run of the layers half by half: its <see cref="Step"/>, and a sparse shard's choices in flight.</summary>
    public sealed class HalfRun : IDisposable
    {
        private readonly ShardModel _model;
        private readonly LayerForm _form;
        private readonly IReadOnlyList<Kv> _kvs;
        private Chosen _now = Chosen.None, _next = Chosen.None;
        private int _nextLayer = -1;

        internal HalfRun(ShardModel model, BatchTensors batch, PagedKvPool pool, Join join)
        {
            _model = model;
            _form = model._form with { Join = join };
            _kvs = model.Kvs(pool);
            // The step's tensors live for the whole run, whatever scopes its halves are called in.
            using var scope = NewDisposeScope();
            Step = model.StepOf(batch);
            Owned = new[] { Step.Cos, Step.Sin, Step.CosLocal, Step.SinLocal, Step.DecodeBias, Step.DecodeBiasLocal, Step.SparseRows, Step.DenseRows }
                .Where(t => !ReferenceEquals(t, Lin.None)).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToArray();
            foreach (var t in Owned) t.DetachFromDisposeScope();
        }

        internal Step Step { get; }
        private Tensor[] Owned { get; }

        /// <summary>x after layer <paramref name="layer"/>'s attention: the residual added, or this rank's float32 partial.</summary>
        public Tensor Attention(int layer, Tensor x)
        {
            Choose(layer, x);
            return _model.WithHalf(2 * layer, half =>
                _form.Unit.Call<Tensor>("attention_block", x, (Attn)half, _kvs[layer], Step, _model._shape, _now));
        }

        /// <summary>x after layer <paramref name="layer"/>'s MLP (over the neurons its attention call chose).</summary>
        public Tensor Mlp(int layer, Tensor x) =>
            _model.WithHalf(2 * layer + 1, half => _form.Unit.Call<Tensor>("mlp_block", x, (Mlp)half, Step, _model._shape, _now));

        /// <summary>x plus the ranks' summed partials of a half, rounded once (with the family's norm after it, if any).</summary>
        public Tensor Fold(int layer, bool attention, Tensor x, Tensor total)
        {
            var post = _model.PostNorm(layer, attention);
            return LayerForm.Dense.Unit.Call<Tensor>("fold", x, total, post, _model._shape);
        }

        /// <summary>
        /// A sparse layer's choice, one layer ahead (Deja Vu's lookahead): layer l + 1's from layer l's input; a stage's
        /// first layer chooses from its own.
        /// </summary>
        private void Choose(int layer, Tensor x)
        {
            if (_model._sparse is null) return;
            if (_nextLayer != layer) Swap(ref _next, Select(layer, x));
            Swap(ref _now, _next);
            _next = layer + 1 < _model.Slice.LayerCount ? Select(layer + 1, x) : Chosen.None;
            _nextLayer = layer + 1;
        }

        private Chosen Select(int layer, Tensor x)
        {
            var (neurons, heads) = _form.Unit.Call<(Tensor, Tensor)>("select", x, _model._layers[layer].Choice, Step, _model._shape);
            return new Chosen(neurons.DetachFromDisposeScope(), heads.DetachFromDisposeScope());
        }

        private static void Swap(ref Chosen held, Chosen now)
        {
            if (!ReferenceEquals(held, now) && !ReferenceEquals(held, Chosen.None)) { held.Neurons.Dispose(); held.Heads.Dispose(); }
            held = now;
        }

        public void Dispose()
        {
            Swap(ref _now, Chosen.None);
            Swap(ref _next, Chosen.None);
            foreach (var t in Owned.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
                if (!ReferenceEquals(t, Lin.None)) t.Dispose();
        }
    }

    /// <summary>A run of this shard's layers over a batch half by half, joining as <paramref name="join"/> says.</summary>
    public HalfRun StartHalves(BatchTensors batch, PagedKvPool pool, bool partial)
    {
        pool.Reach(batch.Reach.Blocks, batch.Reach.RingBlocks);
        return new(this, batch, pool, partial ? Join.Partial : Join.Residual);
    }

    /// <summary>The layers over a step, half by half through the weight window (or the resident layers).</summary>
    private Tensor Halves(Tensor x, Step step, PagedKvPool pool, Join join, Chosen? chosen)
    {
        var form = _form with { Join = join };
        var kvs = Kvs(pool);
        for (var b = 0; b < 2 * Slice.LayerCount; b++)
        {
            var (layer, input) = (b / 2, x);
            x = WithHalf(b, half => half is Attn a
                ? form.Unit.Call<Tensor>("attention_block", input, a, kvs[layer], step, _shape, chosen ?? Chosen.None)
                : form.Unit.Call<Tensor>("mlp_block", input, (Mlp)half, step, _shape, chosen ?? Chosen.None));
        }
        return x;
    }

    /// <summary>Runs <paramref name="work"/> on a half (block 2·layer: attention, 2·layer + 1: MLP), giving a window's block back whatever happens.</summary>
    private Tensor WithHalf(int block, Func<Script.IScriptRecord, Tensor> work)
    {
        if (_window is null)
        {
            var layer = _layers[block / 2];
            return work(BlockWeights.IsAttention(block) ? layer.Attn : layer.Mlp);
        }
        var weights = _window.Acquire(block);
        try { return work(weights.Half); }
        finally { _window.Release(block); }
    }

    /// <summary>
    /// The norm after a half (Gemma), for a fold that runs when the half's block may have left the window: a windowed
    /// shard keeps these few vectors resident.
    /// </summary>
    private Tensor PostNorm(int layer, bool attention)
    {
        if (_window is not null) return _postNorms.Length == 0 ? Lin.None : _postNorms[2 * layer + (attention ? 0 : 1)];
        return attention ? _layers[layer].Attn.PostNorm : _layers[layer].Mlp.PostNorm;
    }

    /// <summary>Each half's norm after it (none for families without them), read once for a windowed shard.</summary>
    private Tensor[] LoadPostNorms(IWeightSource source)
    {
        var family = Config.Family;
        var reader = new LayerReader(source, DType, Device);
        var norms = new List<Tensor>();
        try
        {
            for (var l = 0; l < Slice.LayerCount; l++)
            {
                var layer = Slice.LayerStart + l;
                norms.Add(reader.Optional(family.Attention(Config, Slice, layer).PostNorm) ?? Lin.None);
                norms.Add(reader.Optional(family.Mlp(Config, Slice, layer).PostNorm) ?? Lin.None);
            }
        }
        catch { foreach (var t in norms) if (!ReferenceEquals(t, Lin.None)) t.Dispose(); throw; }
        return norms.All(t => ReferenceEquals(t, Lin.None)) ? [] : norms.ToArray();
    }

    /// <summary>
    /// Sequence parallelism's pieces of layer <paramref name="layer"/> (its resident float layers): q, k and v of x at
    /// the positions of cos and sin ([Hq, S, D], [KV, S, D] ×2), then the layer finished from the attention [Hq, S, D]
    /// its KV blocks gave.
    /// </summary>
    public (Tensor Q, Tensor K, Tensor V) Project(int layer, Tensor x, Tensor cos, Tensor sin) =>
        LayerForm.Dense.Unit.Call<(Tensor, Tensor, Tensor)>("project", x, ResidentLayer(layer).Attn, cos, sin, _shape);

    /// <summary>What sequence parallelism's partial attention applies for layer <paramref name="layer"/>: its sliding window (0: none) and the soft cap.</summary>
    internal (long Window, double Softcap) AttentionKind(int layer) => (ResidentLayer(layer).Attn.Window, _shape.Softcap);

    /// <summary>Whether layer <paramref name="layer"/> rotates with the local RoPE (Gemma 3's sliding layers).</summary>
    internal bool RotatesLocally(int layer) => LocalRope is not null && ResidentLayer(layer).Attn.Rope == 1;

    /// <summary>The RoPE tables of both kinds for positions: global, and local where local layers have their own.</summary>
    internal (Tensor Cos, Tensor Sin, Tensor CosLocal, Tensor SinLocal) RopeTables(Tensor positions)
    {
        var (cos, sin) = Rope.Tables(positions, DType);
        var (cl, sl) = LocalRope?.Tables(positions, DType) ?? (cos, sin);
        return (cos, sin, cl, sl);
    }

    public Tensor FinishAttention(int layer, Tensor x, Tensor attention) =>
        LayerForm.Dense.Unit.Call<Tensor>("finish_attention", x, attention, ResidentLayer(layer).Attn, _shape);

    public Tensor MlpBlock(int layer, Tensor x) =>
        LayerForm.Dense.Unit.Call<Tensor>("mlp_block", x, ResidentLayer(layer).Mlp, EmptyStep.Value, _shape, Chosen.None);

    /// <summary>RMSNorm of x with the norm before layer <paramref name="layer"/>'s attention or MLP (calibration reads linears' inputs).</summary>
    internal Tensor Normed(int layer, bool attention, Tensor x) =>
        LayerForm.Dense.Unit.Call<Tensor>("rms_norm", x, attention ? ResidentLayer(layer).Attn.InNorm : ResidentLayer(layer).Mlp.InNorm, Config.RmsNormEps);

    /// <summary>Gate and up [S, 2F] of an MLP's input, and what its down_proj reads [S, F] (calibration reads them).</summary>
    internal Tensor MlpGateUp(int layer, Tensor x) => LayerForm.Dense.Unit.Call<Tensor>("mlp_gate_up", x, ResidentLayer(layer).Mlp, _shape);

    internal Tensor MlpHidden(int layer, Tensor x) => LayerForm.Dense.Unit.Call<Tensor>("mlp_hidden", x, ResidentLayer(layer).Mlp, _shape);

    internal Layer ResidentLayer(int layer) =>
        _window is null && _sparse is null && layer < _layers.Length ? _layers[layer]
            : throw new InvalidOperationException("sequence parallelism and calibration need the resident float layers (not a window, not sparse)");

    /// <summary>The layers as they are held (calibration reads their weights).</summary>
    internal IReadOnlyList<Layer> ResidentLayers => _layers;

    /// <summary>The shape the layer reads (bench/layer-forms runs the same records through C# ops).</summary>
    internal Shape ShapeForProbe => _shape;

    /// <summary>A step for the pieces that read none (a dense MLP): empty tensors.</summary>
    private static readonly Lazy<Step> EmptyStep = new(() => new Step(Lin.None, Lin.None, Lin.None, Lin.None, Lin.None, 0, Lin.None,
        Lin.None, Lin.None, Lin.None, Lin.None, [], Lin.None, Lin.None, Lin.None, 0, 0, Lin.None, Lin.None, Lin.None, Lin.None, [], Lin.None));
}
