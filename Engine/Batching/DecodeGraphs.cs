using System.Runtime.InteropServices;
using OrleansLlm.Engine.Cuda;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Batching;

/// <summary>
/// Decode steps of a shard's layers as CUDA graphs, one per bucket of rows and attended length (padded up, as vLLM
/// pads batch sizes): a decode-only batch becomes one copy of its indices (and token ids, on the first stage) into the
/// bucket's static inputs, then one graph launch instead of ~20 kernel launches a layer. Buckets are captured when
/// first needed, after warm-up runs (so TorchScript has settled on its kernels); at most <see cref="MaxGraphs"/> are
/// kept. Runs on the device's thread. A tensor-parallel rank's graphs hold its NCCL all-reduces (<paramref name="collective"/>):
/// every rank makes the same buckets in the same order, so their replays meet.
/// </summary>
public sealed class DecodeGraphs(ShardModel model, PagedKvPool pool, Parallel.DeviceCollective? collective = null) : IDisposable
{
    public const int MaxGraphs = 48;
    private static readonly int[] RowBuckets = [1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256];
    private readonly Dictionary<(int Rows, int Length), Bucket> _buckets = new();
    private readonly LinkedList<(int, int)> _recent = new();

    /// <summary>
    /// A bucket's static inputs live in one int64 device buffer (token ids, positions, KV slots to write, lengths, the
    /// sliding layers' slots where sequences keep rings, then the [rows, length] gather of each row's keys, and the
    /// sliding layers' gather), filled from one pinned host buffer per step.
    /// </summary>
    private sealed class Bucket(int rows, int length, bool rings, Device device) : IDisposable
    {
        public readonly int Rows = rows, Length = length;
        public readonly bool Rings = rings;
        private readonly int _vectors = rings ? 5 : 4;
        public readonly Tensor Device = zeros([(rings ? 5L : 4L) * rows + (rings ? 2L : 1L) * rows * length], ScalarType.Int64, device).DetachFromDisposeScope();
        public readonly Tensor Host = zeros([(rings ? 5L : 4L) * rows + (rings ? 2L : 1L) * rows * length], ScalarType.Int64).pin_memory().DetachFromDisposeScope();
        public Tensor Input = null!;   // [rows, hidden] when the stage takes hidden states rather than ids
        public CudaGraph? Graph;
        public Tensor? Output;

        public Tensor Slice(int part) => Device.narrow(0, (long)part * Rows, Rows);
        public long GatherAt(bool local) => (long)_vectors * Rows + (local ? (long)Rows * Length : 0);
        public Tensor Gather => Device.narrow(0, GatherAt(false), (long)Rows * Length).view(Rows, Length);
        public Tensor GatherLocal => Rings ? Device.narrow(0, GatherAt(true), (long)Rows * Length).view(Rows, Length) : Gather;
        public Tensor WriteSlotsLocal => Rings ? Slice(4) : Slice(2);

        public void Dispose()
        {
            Graph?.Dispose();
            Output?.Dispose();
            Input?.Dispose();
            Device.Dispose();
            Host.Dispose();
        }
    }

    /// <summary>
    /// Graphs can serve this shard: it is on a GPU, the native component is loaded, OLM_CUDA_GRAPHS is not 0
    /// (benchmarks compare with and without), and at least its one-row steps can be captured
    /// (<see cref="ShardModel.DecodeGraphSafe"/>: not windowed or static int8; LLM.int8() up to 16 rows, or any rows with
    /// a threshold of inf). A sparse shard needs choices of a fixed size made on the device (learned or fixed mode).
    /// </summary>
    public static bool Possible(ShardModel model) => model.Device.type == TorchSharp.DeviceType.CUDA && model.DecodeGraphSafe(1)
        && (!model.IsSparse || model.SparseGraphSafe)
        && !OrleansLlm.Switches.OlmSwitches.CudaGraphs.TurnedOff && NativeCuda.Loaded;

    public int Captured => _buckets.Count;

    /// <summary>Whether a graph can hold this decode-only batch (its row bucket); the caller runs the others eagerly.</summary>
    public bool Covers(BatchLayout layout) => layout.Chunks.Count == 0 && model.DecodeGraphSafe(RowsOf(layout));

    private static int RowsOf(BatchLayout layout) =>
        RowBuckets.FirstOrDefault(b => b >= layout.Decodes.Count) is var r and > 0 ? r : layout.Decodes.Count;

    /// <summary>
    /// The layers over a decode-only batch: its token ids (first stage) or hidden states x [B, hidden]; returns the
    /// output rows [B, hidden] (a copy, owned by the caller).
    /// </summary>
    public Tensor Forward(IReadOnlyList<int>? ids, Tensor? x, BatchLayout layout)
    {
        if (layout.Chunks.Count > 0) throw new ArgumentException("graphs replay decode-only batches");
        var rows = RowsOf(layout);
        var length = LengthBucket(layout.LongestDecode);
        var fresh = !_buckets.TryGetValue((rows, length), out var bucket) || bucket.Rings != layout.HasRings;
        if (fresh) bucket = Add(rows, length, layout.HasRings, x is null);
        Fill(bucket!, ids, x, layout);
        if (fresh) Capture(bucket!, x is null);
        bucket!.Graph!.Replay();
        Touch((rows, length));
        using var outputRows = bucket.Output!.narrow(0, 0, layout.Decodes.Count);
        return outputRows.clone();
    }

    /// <summary>Attended lengths in steps of 128 up to 1024 (a padded length costs gathers and attention), then doubling.</summary>
    private static int LengthBucket(int length) =>
        length <= 1024 ? Math.Max(128, (length + 127) / 128 * 128) : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length);

    private Bucket Add(int rows, int length, bool rings, bool embeds)
    {
        if (_buckets.Remove((rows, length), out var stale))
        {
            _recent.Remove((rows, length));
            stale.Dispose();
        }
        if (_buckets.Count >= MaxGraphs)
        {
            var oldest = _recent.Last!.Value;
            _recent.RemoveLast();
            _buckets.Remove(oldest, out var evicted);
            evicted!.Dispose();
        }
        var bucket = new Bucket(rows, length, rings, model.Device);
        if (!embeds) bucket.Input = zeros([rows, model.Config.HiddenSize], model.DType, model.Device).DetachFromDisposeScope();
        return _buckets[(rows, length)] = bucket;
    }

    /// <summary>Warm-up runs compute this very batch (they write the KV the replay writes again), then the capture.</summary>
    private void Capture(Bucket b, bool embeds)
    {
        Tensor Step()
        {
            using var scope = NewDisposeScope();
            var lengths = b.Slice(3);
            var mask = arange(b.Length, ScalarType.Int64, model.Device).unsqueeze(0).lt(lengths.unsqueeze(1)).view(b.Rows, 1, 1, b.Length);
            using var batch = BatchTensors.Decode(b.Slice(1), b.Slice(2), b.Gather, mask, b.WriteSlotsLocal, b.GatherLocal);
            var x = embeds ? model.Embed(b.Slice(0)) : b.Input;
            var output = collective is { } c ? model.ForwardBatchTp(x, batch, pool, c) : model.ForwardBatch(x, batch, pool);
            return output.MoveToOuterDisposeScope();
        }
        for (var i = 0; i < 3; i++) Step().Dispose();
        var (graph, output) = CudaGraph.Capture(model.Device.index, Step);
        (b.Graph, b.Output) = (graph, output.DetachFromDisposeScope());
    }

    /// <summary>The batch's ids, positions, slots, lengths and gathers into the pinned buffer, then one copy to the device.</summary>
    private static void Fill(Bucket b, IReadOnlyList<int>? ids, Tensor? x, BatchLayout layout)
    {
        var host = new long[b.Host.NumberOfElements];
        var (gather, gatherLocal) = (b.GatherAt(false), b.GatherAt(true));
        var (size, ring) = (layout.BlockSize, layout.RingBlocks);
        for (var r = 0; r < b.Rows; r++)
        {
            if (r >= layout.Decodes.Count) { host[3 * b.Rows + r] = 1; continue; } // padding: scratch slot 0, one key
            var e = layout.Decodes[r];
            host[r] = ids?[r] ?? 0;
            host[b.Rows + r] = e.Start;
            host[2 * b.Rows + r] = BlockTable.Slot(e.Blocks, size, e.Start);
            host[3 * b.Rows + r] = e.Start + 1;
            for (var p = 0; p <= e.Start; p++) host[gather + r * b.Length + p] = BlockTable.Slot(e.Blocks, size, p);
            if (!b.Rings) continue;
            host[4 * b.Rows + r] = e.LocalSlot(size, ring, e.Start);
            for (var p = 0; p <= e.Start; p++) host[gatherLocal + r * b.Length + p] = e.LocalSlot(size, ring, p);
        }
        MemoryMarshal.AsBytes(host.AsSpan()).CopyTo(b.Host.bytes);
        b.Device.copy_(b.Host, nonBlocking: true);
        if (x is not null) using (var head = b.Input.narrow(0, 0, layout.Decodes.Count)) head.copy_(x);
    }

    private void Touch((int, int) key)
    {
        _recent.Remove(key);
        _recent.AddFirst(key);
    }

    public void Dispose()
    {
        foreach (var b in _buckets.Values) b.Dispose();
        _buckets.Clear();
    }
}
