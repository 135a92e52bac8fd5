using OrleansLlm.Engine.Batching;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A tensor-parallel peer (rank > 0 of its stage): the master starts it on each batch; it runs its share of the
/// stage's layers, all-reducing with the other ranks, and in the last stage answers with its share of the head.
/// </summary>
internal sealed class TensorPeer(StageRank rank)
{
    /// <summary>Its share of the stage's layers and, in the last stage, of the head.</summary>
    public async Task<BatchResult> RunAsync(BatchMessage batch)
    {
        var (model, executor, collective) = (rank.Shard.Model, rank.Shard.Executor, rank.Shard.Collective);
        try
        {
            var (hidden, timings) = await rank.Layers(batch);
            if (rank.Shard.Topology.NextStage is not null)
            {
                await executor.RunAsync(hidden.Dispose);
                return new BatchResult([], [], timings);
            }
            // Wired on the device thread too: reading a tensor's bytes is tensor work (a device copy on a GPU).
            var (next, scores) = await executor.RunAsync(() =>
            {
                using (hidden)
                {
                    var (n, s) = BatchHead.Part(model, hidden, rank.Layout(batch), StageRank.Targets(batch), collective);
                    // Device-joined ranks each hold the whole vocabulary's logits already: the master answers with its own.
                    if (collective is not null) { n?.Dispose(); n = null; }
                    return (n is null ? null : StageRank.Wire(n), s is null ? null : StageRank.Wire(s));
                }
            });
            return new BatchResult([], [], timings, next, scores);
        }
        catch (Exception e)
        {
            rank.AllReduces.Abort(batch.Batch, e.Message);
            throw;
        }
    }
}
