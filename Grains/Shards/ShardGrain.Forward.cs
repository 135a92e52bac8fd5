using System.Diagnostics;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A batch through this shard: a stage master runs its layers (driving its tensor-parallel peers through all-reduces),
/// then hands the hidden states to the next stage's master, grain to grain; the last stage joins its ranks' shares of
/// the output head and draws every request's next token on its device.
/// </summary>
public sealed partial class ShardGrain
{
    public async Task<BatchResult> ForwardAsync(BatchMessage batch)
    {
        var (_, _, topology) = Loaded();
        try
        {
            return topology.Rank == 0 ? await RunStage(batch) : await RunPeer(batch);
        }
        catch (Exception e) when (EngineErrors.Translated(e) is { } reason)
        {
            throw reason;
        }
    }

    /// <summary>On a stage master: this stage's layers with its peers, then the rest of the pipeline or the head.</summary>
    private async Task<BatchResult> RunStage(BatchMessage batch)
    {
        var (_, executor, topology) = Loaded();
        if (topology.StageShards.Length == 1 && topology.NextStage is null) return await RunAlone(batch);
        var peers = topology.StageShards.Skip(1).Select(k => Shard(k).ForwardAsync(batch)).ToList();
        try
        {
            var (hidden, timings) = await Layers(batch);
            if (topology.NextStage is not { } next) return await Head(batch, hidden, timings, peers);
            var bytes = await executor.RunAsync(() => { using (hidden) return TensorWire.ToBytes(hidden).EnsureSendable(); });
            var downstream = await Shard(next).ForwardAsync(batch with { Ids = null, Hidden = bytes });
            timings = Traffic(timings, await Task.WhenAll(peers));
            return downstream with
            {
                Timings = timings.Add(downstream.Timings) with { Messages = timings.Messages + downstream.Timings.Messages + 2, Bytes = timings.Bytes + downstream.Timings.Bytes + bytes.ByteCount },
            };
        }
        catch (Exception e) when (peers.Count > 0)
        {
            await AbortPeers(batch.Batch, e.Message);
            throw;
        }
    }

    /// <summary>One shard holds the whole model: the batch's layers, its head and its draws are one device job.</summary>
    private async Task<BatchResult> RunAlone(BatchMessage batch)
    {
        var (model, executor, _) = Loaded();
        var layout = Layout(batch);
        var targets = Targets(batch);
        var samples = batch.Items.Select(i => i.Sample?.ToEngine()).ToArray();
        var clock = Stopwatch.StartNew();
        var (tokens, nll) = await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            var hidden = StageHidden(batch, layout);
            var (next, scores) = BatchHead.Part(model, hidden, layout, targets);
            return BatchHead.Finish(layout, [next], [scores], targets, samples);
        });
        return new BatchResult(tokens, nll, new StepTimings(clock.Elapsed.TotalMilliseconds, 0, 0, 0));
    }

    /// <summary>
    /// On the device thread, for a shard with every head of its layers or one whose ranks add on the devices: the
    /// stage's output over the batch, a graph replay for decode steps where graphs run, else the eager forward.
    /// </summary>
    private Tensor StageHidden(BatchMessage batch, BatchLayout layout)
    {
        var model = _model!;
        if (layout.Chunks.Count == 0 && Graphs() is { } graphs)
        {
            if (batch.Hidden is null) return graphs.Forward(batch.Ids, null, layout);
            using var input = Input(batch);
            return graphs.Forward(null, input, layout);
        }
        using var tensors = BatchTensors.Build(layout, model.Device);
        using var x = Input(batch);
        return _collective is { } c ? model.ForwardBatchTp(x, tensors, _pool!, c) : model.ForwardBatch(x, tensors, _pool!);
    }

    /// <summary>On a tensor-parallel peer: its share of the stage's layers and, in the last stage, of the head.</summary>
    private async Task<BatchResult> RunPeer(BatchMessage batch)
    {
        var (model, executor, topology) = Loaded();
        try
        {
            var (hidden, timings) = await Layers(batch);
            if (topology.NextStage is not null)
            {
                await executor.RunAsync(hidden.Dispose);
                return new BatchResult([], [], timings);
            }
            var (next, scores) = await executor.RunAsync(() =>
            {
                using (hidden) return BatchHead.Part(model, hidden, Layout(batch), Targets(batch), _collective);
            });
            if (_collective is not null && next is not null) await executor.RunAsync(next.Dispose);
            return new BatchResult([], [], timings, next is null || _collective is not null ? null : Wire(next),
                scores is null ? null : Wire(scores));
        }
        catch (Exception e)
        {
            AllReduces.Abort(batch.Batch, e.Message);
            throw;
        }
    }

    /// <summary>This shard's layers over the batch: the stage's input in, its hidden states out.</summary>
    private async Task<(Tensor Hidden, StepTimings Timings)> Layers(BatchMessage batch)
    {
        var (model, executor, topology) = Loaded();
        var pool = _pool ?? throw new OlmException($"shard {Key} holds no KV pool (a sequence-parallel shard takes no batches)");
        var clock = Stopwatch.StartNew();
        var layout = Layout(batch);
        if (topology.StageShards.Length == 1 || _collective is not null)
        {
            var whole = await executor.RunAsync(() => StageHidden(batch, layout));
            return (whole, new StepTimings(clock.Elapsed.TotalMilliseconds, 0, 0, 0));
        }
        var (tensors, x) = await executor.RunAsync(() => (BatchTensors.Build(layout, model.Device), Input(batch)));
        try
        {
            var allReduce = new GrainAllReduce(this, batch.Batch, topology);
            var hidden = await TensorParallelForward.RunAsync(model, x, tensors, pool, allReduce, new ExecutorRunner(executor));
            return (hidden, new StepTimings(clock.Elapsed.TotalMilliseconds - allReduce.WaitMs, allReduce.WaitMs,
                allReduce.Messages, allReduce.Bytes));
        }
        finally
        {
            await executor.RunAsync(tensors.Dispose);
        }
    }

    /// <summary>The last stage's answer: every rank's share of the head joined, tokens drawn, targets scored.</summary>
    private async Task<BatchResult> Head(BatchMessage batch, Tensor hidden, StepTimings timings, List<Task<BatchResult>> peerCalls)
    {
        var (model, executor, _) = Loaded();
        var clock = Stopwatch.StartNew();
        var layout = Layout(batch);
        var targets = Targets(batch);
        var mine = await executor.RunAsync(() => { using (hidden) return BatchHead.Part(model, hidden, layout, targets, _collective); });
        var peers = await Task.WhenAll(peerCalls);
        var samples = batch.Items.Select(i => i.Sample?.ToEngine()).ToArray();
        var (tokens, nll) = await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            // Device-joined ranks each hold the whole vocabulary's logits already.
            Tensor?[] next = _collective is not null ? [mine.Next]
                : [mine.Next, .. peers.Select(p => p.HeadLogits is { } b ? TensorWire.Open(b) : null)];
            Tensor?[] scores = [mine.Scores, .. peers.Select(p => p.HeadScores is { } b ? TensorWire.Open(b) : null)];
            return BatchHead.Finish(layout, next, scores, targets, samples);
        });
        timings = Traffic(timings, peers) with { ComputeMs = timings.ComputeMs + clock.Elapsed.TotalMilliseconds };
        return new BatchResult(tokens, nll, timings with
        {
            Bytes = timings.Bytes + peers.Sum(p => (p.HeadLogits?.ByteCount ?? 0) + (p.HeadScores?.ByteCount ?? 0)),
        });
    }

    /// <summary>The stage's input: the rows' token ids embedded (first stage) or the hidden states it was sent.</summary>
    private Tensor Input(BatchMessage batch)
    {
        var model = _model!;
        if (batch.Hidden is { } hidden) return TensorWire.FromBytes(hidden, model.Device).to(model.DType);
        if (batch.Ids is not { Length: > 0 } ids) throw new OlmException("a batch needs token ids or hidden states");
        using var t = tensor(ids.Select(i => (long)i).ToArray());
        return model.Embed(t);
    }

    private BatchLayout Layout(BatchMessage batch) =>
        new(batch.Items.Select(i => new BatchEntry(i.Start, i.Count, i.Blocks, i.Output.ToEngine())).ToList(), _spec!.BlockSize);

    private static int[]?[] Targets(BatchMessage batch) => batch.Items.Select(i => i.Targets).ToArray();

    private static TensorBytes Wire(Tensor t)
    {
        using (t) return TensorWire.ToBytes(t).EnsureSendable();
    }

    /// <summary>The master's compute and waiting stand for the stage (peers run alongside); peers' traffic adds up.</summary>
    private static StepTimings Traffic(StepTimings master, BatchResult[] peers) => master with
    {
        Messages = master.Messages + peers.Sum(p => p.Timings.Messages) + 2 * peers.Length,
        Bytes = master.Bytes + peers.Sum(p => p.Timings.Bytes),
    };

    private async Task AbortPeers(long batch, string reason)
    {
        var (_, _, topology) = Loaded();
        AllReduces.Abort(batch, reason);
        foreach (var peer in topology.StageShards.Skip(1))
            try { await Shard(peer).AbortBatchAsync(batch, reason); }
            catch (Exception) { } // a peer that is gone waits for nothing
    }

    private IShardGrain Shard(string key) => GrainFactory.GetGrain<IShardGrain>(key);

    /// <summary>This shard's decode graphs, where they can run (on the executor: it may load the native component).</summary>
    private DecodeGraphs? Graphs() =>
        _graphs ??= _pool is { } pool && DecodeGraphs.Possible(_model!) ? new DecodeGraphs(_model!, pool, _collective) : null;
}
