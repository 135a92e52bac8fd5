using TorchSharp;
using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Model.Layers;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>A step over a shard's layers: the one <see cref="Step"/> every form reads, and the whole stack in one call.</summary>
public sealed partial class ShardModel
{
    private readonly ConditionalWeakTable<PagedKvPool, Kv[]> _kvs = new();

    /// <summary>The step every form reads for a batch: its layout's tensors, RoPE tables and decode bias, its sparse rows.</summary>
    internal Step StepOf(BatchTensors b)
    {
        var (cos, sin) = Rope.Tables(b.Positions, DType);
        var (cosLocal, sinLocal) = LocalRope?.Tables(b.Positions, DType) ?? (cos, sin);
        var bias = LayerCalls.DecodeBias(b.DecodeMask, DType, Slice.KvHeadCount, Config.GroupSize);
        var biasLocal = _slidingWindow > 0
            ? LayerCalls.DecodeBias(WindowMask(b.DecodeMask, _slidingWindow), DType, Slice.KvHeadCount, Config.GroupSize)
            : Lin.None;
        var (sparse, dense) = SparseRows(b);
        return new Step(cos, sin, cosLocal, sinLocal, b.WriteSlots, b.DecodeRows, b.DecodeGather, b.DecodeMask, bias, biasLocal, b.Chunks,
            b.ChunkGathers, b.ChunkKeys, b.CuQ, b.CuK, b.MaxQ, b.MaxK, sparse, dense, b.WriteSlotsLocal, b.DecodeGatherLocal,
            b.ChunkGathersLocal, b.ChunkKeysLocal);
    }

    /// <summary>
    /// The decode rows' mask [B, 1, 1, L] narrowed to a sliding window: a row's keys are its sequence's first n
    /// positions (n = the visible count), and its query, at n - 1, sees n - window .. n - 1. Made on the device from the
    /// mask itself, so a captured step computes it on replay.
    /// </summary>
    private static Tensor WindowMask(Tensor mask, int window)
    {
        var length = mask.shape[^1];
        using var visible = mask.sum([-1L], keepdim: true, type: ScalarType.Int64);   // [B, 1, 1, 1]
        using var position = arange(length, ScalarType.Int64, mask.device);             // [L]
        using var w = ((long)window).ToScalar();
        using var first = visible.sub(w);
        using var inWindow = position.ge(first);
        return mask.logical_and(inWindow);
    }

    /// <summary>A sparse shard's sparse and dense rows as device indices (every row sparse: made on the device, no upload).</summary>
    private (Tensor Sparse, Tensor Dense) SparseRows(BatchTensors b)
    {
        var rows = (long)b.Positions.shape[0];
        if (_sparse is null) return (Lin.None, Lin.None);
        var sparse = b.SparseRows;
        if (sparse.Length == rows) return (arange(rows, ScalarType.Int64, Device), empty(0, ScalarType.Int64, Device));
        var set = sparse.ToHashSet();
        var dense = Enumerable.Range(0, (int)rows).Select(i => (long)i).Where(i => !set.Contains(i)).ToArray();
        return (tensor(sparse).to(Device), tensor(dense).to(Device));
    }

    private IReadOnlyList<Kv> Kvs(PagedKvPool pool) =>
        _kvs.GetValue(pool, p => p.Keys.Zip(p.Values, (k, v) => new Kv(k, v)).ToArray());

    /// <summary>
    /// Runs this shard's layers (every head and FFN column of them) over a batch of sequences x [T, hidden] laid out
    /// as <paramref name="batch"/> says, writing their KV into <paramref name="pool"/>.
    /// </summary>
    public Tensor ForwardBatch(Tensor x, BatchTensors batch, PagedKvPool pool)
    {
        if (!Slice.CoversAllHeadsAndColumns(Config))
            throw new InvalidOperationException("ForwardBatch needs every head and FFN column; run the tensor-parallel layer instead");
        using var scope = NewDisposeScope();
        pool.Reach(batch.Reach.Blocks, batch.Reach.RingBlocks);
        var step = StepOf(batch);
        var h = x.to(DType, Device);
        var output = _window is not null ? Halves(h, step, pool, Join.Residual, null)
            : _form.Unit.Call<Tensor>("stack", h, _layers, Kvs(pool), step, _shape);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// This rank's layers over a batch, summing partials with the other ranks of <paramref name="collective"/> (GPUs of
    /// this process, through NCCL) inside the call: the stage's output [T, hidden], the same on every rank.
    /// </summary>
    public Tensor ForwardBatchTp(Tensor x, BatchTensors batch, PagedKvPool pool, Parallel.DeviceCollective collective)
    {
        if (_window is not null || _sparse is not null)
            throw new InvalidOperationException("ranks summing on their devices hold their layers whole and dense");
        using var scope = NewDisposeScope();
        pool.Reach(batch.Reach.Blocks, batch.Reach.RingBlocks);
        var step = StepOf(batch);
        var output = (_form with { Join = Join.AllReduce }).Unit.Call<Tensor>("stack", x.to(DType, Device), _layers, Kvs(pool), step,
            _shape with { Clique = collective.Clique, Rank = collective.Rank });
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs this shard's layers over one sequence's hidden states x [S, hidden] at positions [cache.Length, cache.Length
    /// + S), appending to its cache: the sequence alone through the batched step (its contiguous cache taken as a pool of
    /// blocks of one token), the unbatched run batched ones are checked against. Needs every head and FFN column.
    /// </summary>
    public Tensor ForwardLayers(Tensor x, KvCache cache)
    {
        using var scope = NewDisposeScope();
        var s = (int)x.shape[0];
        var start = (int)cache.Length;
        var storage = Enumerable.Range(0, Slice.LayerCount).Select(i => cache[i].StorageFor(s)).ToArray();
        using var pool = PagedKvPool.Over(storage.Select(t => t.Keys).ToArray(), storage.Select(t => t.Values).ToArray(), blockSize: 1);
        var blocks = Enumerable.Range(0, start + s).ToArray();
        var layout = new BatchLayout([new BatchEntry(start, s, blocks, BatchOutput.None)], blockSize: 1);
        using var batch = BatchTensors.Build(layout, Device);
        var output = ForwardBatch(x, batch, pool);
        using var positions = arange(start, start + s, ScalarType.Int64, Device);
        foreach (var t in storage) t.Positions.narrow(0, start, s).copy_(positions);
        for (var i = 0; i < Slice.LayerCount; i++) cache[i].Commit(s);
        return output.MoveToOuterDisposeScope();
    }
}
