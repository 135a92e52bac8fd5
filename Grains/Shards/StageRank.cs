using System.Diagnostics;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A batched shard as one rank of its pipeline stage: its share of the stage's layers over a batch (all of them when it
/// is alone or its ranks add on the devices, else its heads and FFN columns with partial sums all-reduced in grain
/// messages). The stage's master and its tensor-parallel peers both run it.
/// </summary>
internal sealed class StageRank(LoadedShard shard, RankAllReduces allReduces)
{
    public LoadedShard Shard => shard;
    public RankAllReduces AllReduces => allReduces;

    /// <summary>This shard's layers over the batch: the stage's input in, its hidden states out.</summary>
    public async Task<(Tensor Hidden, StepTimings Timings)> Layers(BatchMessage batch)
    {
        var (model, executor, topology, pool) = (shard.Model, shard.Executor, shard.Topology, shard.Pool!);
        var clock = Stopwatch.StartNew();
        var layout = Layout(batch);
        if (topology.StageShards.Length == 1 || shard.Collective is not null)
        {
            var whole = await executor.RunAsync(() => StageHidden(batch, layout));
            return (whole, new StepTimings(clock.Elapsed.TotalMilliseconds, 0, 0, 0));
        }
        var (tensors, x) = await executor.RunAsync(() => (BatchTensors.Build(layout, model.Device), Input(batch)));
        try
        {
            var allReduce = allReduces.For(batch.Batch);
            var hidden = await TensorParallelForward.RunAsync(model, x, tensors, pool, allReduce, new ExecutorRunner(executor));
            return (hidden, new StepTimings(clock.Elapsed.TotalMilliseconds - allReduce.WaitMs, allReduce.WaitMs,
                allReduce.Messages, allReduce.Bytes));
        }
        finally
        {
            await executor.RunAsync(tensors.Dispose);
        }
    }

    /// <summary>
    /// On the device thread, for a shard with every head of its layers or one whose ranks add on the devices: the
    /// stage's output over the batch, a graph replay for decode steps where graphs run, else the eager forward.
    /// </summary>
    public Tensor StageHidden(BatchMessage batch, BatchLayout layout)
    {
        var (model, pool) = (shard.Model, shard.Pool!);
        if (shard.Graphs() is { } graphs && graphs.Covers(layout))
        {
            if (batch.Hidden is null) return graphs.Forward(batch.Ids, null, layout);
            using var input = Input(batch);
            return graphs.Forward(null, input, layout);
        }
        using var tensors = BatchTensors.Build(layout, model.Device);
        using var x = Input(batch);
        return shard.Collective is { } c ? model.ForwardBatchTp(x, tensors, pool, c) : model.ForwardBatch(x, tensors, pool);
    }

    /// <summary>The stage's input: the rows' token ids embedded (first stage) or the hidden states it was sent.</summary>
    private Tensor Input(BatchMessage batch)
    {
        var model = shard.Model;
        if (batch.Hidden is { } hidden) return TensorWire.FromBytes(hidden, model.Device).to(model.DType);
        if (batch.Ids is not { Length: > 0 } ids) throw new OlmException("a batch needs token ids or hidden states");
        using var t = tensor(ids.Select(i => (long)i).ToArray());
        return model.Embed(t);
    }

    public BatchLayout Layout(BatchMessage batch) =>
        new(batch.Items.Select(i => new BatchEntry(i.Start, i.Count, i.Blocks, i.Output.ToEngine(), i.Ring)).ToList(), shard.Spec.BlockSize,
            batch.RingBlocks);

    public static int[]?[] Targets(BatchMessage batch) => batch.Items.Select(i => i.Targets).ToArray();

    /// <summary>A head's share for the wire (the tensor is disposed).</summary>
    public static TensorBytes Wire(Tensor t)
    {
        using (t) return TensorWire.ToBytes(t).EnsureSendable();
    }
}
