using OrleansLlm.Engine.Cuda;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Batching;

/// <summary>
/// Decode steps of a shard's layers as CUDA graphs, one per bucket of rows and attended length (padded up, as vLLM
/// pads batch sizes): a decode-only batch becomes copies into the bucket's static inputs and one graph launch instead
/// of ~20 kernel launches a layer. Buckets are captured when first needed (after warm-up runs, so TorchScript has
/// settled on its kernels) and at most <see cref="MaxGraphs"/> are kept. Runs on the device's thread.
/// </summary>
public sealed class DecodeGraphs(ShardModel model, PagedKvPool pool) : IDisposable
{
    public const int MaxGraphs = 48;
    private static readonly int[] RowBuckets = [1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256];
    private readonly Dictionary<(int Rows, int Length), Bucket> _buckets = new();
    private readonly LinkedList<(int, int)> _recent = new();

    private sealed class Bucket(CudaGraph graph, Tensor input, BatchTensors batch, Tensor output) : IDisposable
    {
        public CudaGraph Graph { get; } = graph;
        public Tensor Input { get; } = input;
        public BatchTensors Batch { get; } = batch;
        public Tensor Output { get; } = output;

        public void Dispose()
        {
            Graph.Dispose();
            Output.Dispose();
            Input.Dispose();
            Batch.Dispose();
        }
    }

    /// <summary>
    /// Graphs can serve this shard: it is on a GPU, the native component is loaded, and OLM_CUDA_GRAPHS is not 0
    /// (benchmarks compare with and without).
    /// </summary>
    public static bool Possible(ShardModel model) => model.Device.type == TorchSharp.DeviceType.CUDA
        && Environment.GetEnvironmentVariable("OLM_CUDA_GRAPHS") != "0" && NativeCuda.Loaded;

    public int Captured => _buckets.Count;

    /// <summary>The layers over a decode-only batch x [B, hidden]: its output rows [B, hidden] (a copy, owned by the caller).</summary>
    public Tensor Forward(Tensor x, BatchLayout layout)
    {
        if (layout.Chunks.Count > 0) throw new ArgumentException("graphs replay decode-only batches");
        var key = (Round(RowBuckets, layout.Decodes.Count), Math.Max(32, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)layout.LongestDecode)));
        if (!_buckets.TryGetValue(key, out var bucket)) bucket = Capture(key, x, layout);
        else
        {
            Fill(bucket, x, layout, key);
            bucket.Graph.Replay();
        }
        Touch(key);
        using var rows = bucket.Output.narrow(0, 0, layout.Decodes.Count);
        return rows.clone();
    }

    private Bucket Capture((int Rows, int Length) key, Tensor x, BatchLayout layout)
    {
        if (_buckets.Count >= MaxGraphs)
        {
            var oldest = _recent.Last!.Value;
            _recent.RemoveLast();
            _buckets.Remove(oldest, out var evicted);
            evicted!.Dispose();
        }
        var batch = BatchTensors.Build(layout, model.Device, key.Rows, key.Length);
        var input = zeros([key.Rows, model.Config.HiddenSize], model.DType, model.Device).DetachFromDisposeScope();
        using (var head = input.narrow(0, 0, layout.Decodes.Count)) head.copy_(x);
        // Warm-up runs compute this very batch (they write the same KV the replay writes), so TorchScript settles first.
        for (var i = 0; i < 3; i++) model.ForwardBatch(input, batch, pool).Dispose();
        var (graph, output) = CudaGraph.Capture(model.Device.index, () => model.ForwardBatch(input, batch, pool));
        var bucket = new Bucket(graph, input, batch, output.DetachFromDisposeScope());
        _buckets[key] = bucket;
        bucket.Graph.Replay();
        return bucket;
    }

    /// <summary>The batch's inputs and indices into the bucket's static tensors (padding rows keep their scratch slots).</summary>
    private void Fill(Bucket bucket, Tensor x, BatchLayout layout, (int Rows, int Length) key)
    {
        using var host = BatchTensors.Build(layout, CPU, key.Rows, key.Length);
        using (var head = bucket.Input.narrow(0, 0, layout.Decodes.Count)) head.copy_(x);
        bucket.Batch.Positions.copy_(host.Positions);
        bucket.Batch.WriteSlots.copy_(host.WriteSlots);
        bucket.Batch.DecodeGather.copy_(host.DecodeGather);
        bucket.Batch.DecodeMask.copy_(host.DecodeMask);
    }

    private void Touch((int, int) key)
    {
        _recent.Remove(key);
        _recent.AddFirst(key);
    }

    private static int Round(int[] buckets, int n) => buckets.FirstOrDefault(b => b >= n) is var b and > 0 ? b : n;

    public void Dispose()
    {
        foreach (var b in _buckets.Values) b.Dispose();
        _buckets.Clear();
    }
}
