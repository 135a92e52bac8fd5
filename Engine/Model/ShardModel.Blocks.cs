using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Memory;
using OrleansLlm.Engine.Paged;
using OrleansLlm.Engine.Quantization;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// A shard whose layers are half-layer blocks: int8 weights (all resident, the whole stack one call) or a weight window
/// that streams blocks in while earlier ones compute (one call a block). The resident float layers never come here.
/// </summary>
public sealed partial class ShardModel
{
    private IBlockStore? _blocks;
    private StaticLayers? _static;
    private readonly double _threshold;

    /// <summary>What the shard's weight store has done: window size, loads, loading and waiting time.</summary>
    public WindowStats WeightStats => _blocks?.Stats ?? WindowStats.Resident(2 * Slice.LayerCount);

    /// <summary>Whether the layers are blocks (int8, windowed or static int8) rather than resident float layers.</summary>
    public bool UsesBlocks => _blocks is not null || _static is not null;

    /// <summary>A static int8 shard's calibration: scales, outlier channels and which linears got shadows.</summary>
    public StaticPlan? StaticPlan => _static?.Plan;

    private void LoadBlocks(ShardOptions options, Checkpoints.IWeightSource source, Checkpoints.IWeightSource? streamed,
        IProgress<double>? progress)
    {
        var int8 = options.Int8 is not null;
        if (options.Int8?.Static is { } settings)
        {
            LoadStatic(options.Int8.Threshold, settings, source, progress);
            return;
        }
        if (options.Window > 0)
        {
            _blocks = new WeightWindow(new SourceBlockLoader(streamed!, Config, Slice, DType, Device, int8, ownsSource: true),
                options.Window, ModelSizing.BlockBytes(Config, Slice, DType, int8, true), ModelSizing.BlockBytes(Config, Slice, DType, int8, false));
            return;
        }
        var resident = new ResidentBlocks(new SourceBlockLoader(source, Config, Slice, DType, Device, int8, ownsSource: false), progress);
        _blocks = resident;
        _kernelWeights = resident.KernelWeights();
    }

    /// <summary>Float blocks first, calibrated on the text, then quantized with static scales (and shadows where they matter).</summary>
    private void LoadStatic(double threshold, StaticInt8 settings, Checkpoints.IWeightSource source, IProgress<double>? progress)
    {
        if (_embedding is null || !Slice.CoversAllHeadsAndColumns(Config) || Slice.LayerStart != 0)
            throw new ArgumentException("static int8 with shadow outliers needs one shard holding the whole model (calibration runs it)");
        using var floats = new ResidentBlocks(new SourceBlockLoader(source, Config, Slice, DType, Device, int8: false, ownsSource: false), progress);
        using var scope = NewDisposeScope();
        var embedded = Embed(tensor(settings.CalibrationIds.Select(i => (long)i).ToArray()));
        var plan = StaticCalibration.Run(Config, Slice, floats, embedded, Rope, DType, threshold, settings);
        _static = new StaticLayers(Config, Slice, DType, floats, plan);
    }

    private long QHeads => Slice.KvHeadCount * Config.GroupSize;

    /// <summary>The layers over a batch: the whole resident stack in one call, or block by block through the window.</summary>
    private Tensor ForwardBlocks(Tensor x, BatchTensors batch, PagedKvPool pool)
    {
        using var scope = NewDisposeScope();
        var (cos, sin) = Rope.Tables(batch.Positions, DType);
        var h = x.to(DType, Device);
        if (_static is not null) return _static.Forward(h, batch, pool, cos, sin).MoveToOuterDisposeScope();
        if (_blocks is ResidentBlocks)
            return Kernels.ForwardBlocks(h, _kernelWeights, [.. pool.Keys], [.. pool.Values], batch, cos, sin, QHeads,
                Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps, _threshold).MoveToOuterDisposeScope();
        for (var b = 0; b < _blocks!.Count; b++)
        {
            var layer = b / 2;
            h = WithBlock(b, w => BlockWeights.IsAttention(b)
                ? Kernels.AttentionBlockPaged(h, w, pool.Keys[layer], pool.Values[layer], batch, cos, sin, QHeads,
                    Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps, _threshold)
                : Kernels.MlpBlock(h, w, Config.RmsNormEps, _threshold));
        }
        return h.MoveToOuterDisposeScope();
    }

    private Tensor BlockAttentionPartial(int layer, Tensor x, BatchTensors batch, PagedKvPool pool, Tensor cos, Tensor sin) =>
        WithBlock(2 * layer, w => Kernels.AttentionPartialBlock(x, w, pool.Keys[layer], pool.Values[layer], batch, cos, sin,
            QHeads, Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps, _threshold));

    private Tensor BlockMlpPartial(int layer, Tensor x) =>
        WithBlock(2 * layer + 1, w => Kernels.MlpPartialBlock(x, w, Config.RmsNormEps, _threshold));

    /// <summary>The layers over one sequence's contiguous cache (the unbatched reference path), block by block.</summary>
    private Tensor ForwardLayerBlocks(Tensor x, KvCache cache)
    {
        if (_blocks is null) throw new InvalidOperationException("a static int8 shard (shadow outliers) runs batches in a paged pool only");
        using var scope = NewDisposeScope();
        var s = x.shape[0];
        var start = cache.Length;
        var positions = arange(start, start + s, ScalarType.Int64, Device);
        var (cos, sin) = Rope.Tables(positions, DType);
        var h = x.to(DType, Device);
        for (var b = 0; b < _blocks.Count; b++)
        {
            var layer = b / 2;
            h = WithBlock(b, w =>
            {
                if (!BlockWeights.IsAttention(b)) return Kernels.MlpBlock(h, w, Config.RmsNormEps, _threshold);
                var storage = cache[layer].StorageFor(s);
                return Kernels.AttentionBlockCached(h, w, storage.Keys, storage.Values, storage.Positions, start, positions,
                    cos, sin, QHeads, Slice.KvHeadCount, Config.HeadDim, Config.RmsNormEps, _threshold);
            });
        }
        for (var i = 0; i < Slice.LayerCount; i++) cache[i].Commit(s);
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Runs <paramref name="work"/> on a block's kernel tensors, giving the block back whatever happens.</summary>
    private Tensor WithBlock(int block, Func<Tensor[], Tensor> work)
    {
        if (_blocks is null) throw new InvalidOperationException("a static int8 shard (shadow outliers) runs whole batches only");
        var weights = _blocks.Acquire(block);
        try { return work(weights.Kernel); }
        finally { _blocks.Release(block); }
    }
}
