using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A pipeline stage's master (rank 0): it starts its tensor-parallel peers on a batch, runs its layers with them, then
/// hands the hidden states to the next stage's master, grain to grain; in the last stage it joins its ranks' shares of
/// the output head and draws every request's next token on its device.
/// </summary>
internal sealed partial class StageMaster(StageRank rank, IGrainFactory grains, ILogger log)
{
    private LoadedShard Shard => rank.Shard;

    /// <summary>This stage's layers with its peers, then the rest of the pipeline or the head.</summary>
    public async Task<BatchResult> RunAsync(BatchMessage batch)
    {
        var (executor, topology) = (Shard.Executor, Shard.Topology);
        if (topology.StageShards.Length == 1 && topology.NextStage is null) return await RunAlone(batch);
        var peers = topology.StageShards.Skip(1).Select(k => ShardOf(k).ForwardAsync(batch)).ToList();
        try
        {
            var (hidden, timings) = await rank.Layers(batch);
            if (topology.NextStage is not { } next) return await Head(batch, hidden, timings, peers);
            var bytes = await executor.RunAsync(() => { using (hidden) return TensorWire.ToBytes(hidden).EnsureSendable(); });
            var downstream = await ShardOf(next).ForwardAsync(batch with { Ids = null, Hidden = bytes });
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
        var (model, executor) = (Shard.Model, Shard.Executor);
        var layout = rank.Layout(batch);
        var targets = StageRank.Targets(batch);
        var samples = batch.Items.Select(i => i.Sample?.ToEngine()).ToArray();
        var clock = Stopwatch.StartNew();
        var (tokens, nll) = await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            var hidden = rank.StageHidden(batch, layout);
            var (next, scores) = BatchHead.Part(model, hidden, layout, targets);
            return BatchHead.Finish(layout, [next], [scores], targets, samples);
        });
        return new BatchResult(tokens, nll, new StepTimings(clock.Elapsed.TotalMilliseconds, 0, 0, 0));
    }

    /// <summary>The last stage's answer: every rank's share of the head joined, tokens drawn, targets scored.</summary>
    private async Task<BatchResult> Head(BatchMessage batch, Tensor hidden, StepTimings timings, List<Task<BatchResult>> peerCalls)
    {
        var (model, executor, collective) = (Shard.Model, Shard.Executor, Shard.Collective);
        var clock = Stopwatch.StartNew();
        var layout = rank.Layout(batch);
        var targets = StageRank.Targets(batch);
        var mine = await executor.RunAsync(() => { using (hidden) return BatchHead.Part(model, hidden, layout, targets, collective); });
        var peers = await Task.WhenAll(peerCalls);
        var samples = batch.Items.Select(i => i.Sample?.ToEngine()).ToArray();
        var (tokens, nll) = await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            // Device-joined ranks each hold the whole vocabulary's logits already.
            Tensor?[] next = collective is not null ? [mine.Next]
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

    /// <summary>The master's compute and waiting stand for the stage (peers run alongside); peers' traffic adds up.</summary>
    private static StepTimings Traffic(StepTimings master, BatchResult[] peers) => master with
    {
        Messages = master.Messages + peers.Sum(p => p.Timings.Messages) + 2 * peers.Length,
        Bytes = master.Bytes + peers.Sum(p => p.Timings.Bytes),
    };

    private async Task AbortPeers(long batch, string reason)
    {
        rank.AllReduces.Abort(batch, reason);
        foreach (var peer in Shard.Topology.StageShards.Skip(1))
            try { await ShardOf(peer).AbortBatchAsync(batch, reason); }
            catch (Exception e)
            {
                // A peer that is gone waits for nothing; one that refused for another reason may wait for ever.
                LogAbortRefused(log, ShardLoss.Is(e) ? LogLevel.Debug : LogLevel.Warning, Shard.Key, peer, batch, e.Message.Split('\n')[0]);
            }
    }

    private IShardGrain ShardOf(string key) => grains.GetGrain<IShardGrain>(key);

    [LoggerMessage(Message = "shard {Key}: peer {Peer} took no abort of batch {Batch}: {Reason}")]
    private static partial void LogAbortRefused(ILogger logger, LogLevel level, string key, string peer, long batch, string reason);
}
