using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Serving;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// The entry's side: requests start, continue and are scored here, and wait in the <see cref="BatchPump"/> until a
/// batch computes them. Other shards keep no state per request: the batch tells them which blocks to use.
/// </summary>
public sealed partial class ShardGrain
{
    private BatchPump? _pump;

    /// <summary>On the entry of a batched deployment: the scheduler over its pool, one batch in flight per stage.</summary>
    private void StartServing(ShardLoadSpec spec, ModelConfig config)
    {
        if (spec.KvBlocks == 0 || spec.Topology.Stage != 0 || spec.Topology.Rank != 0) return;
        var s = spec.Serving;
        var rows = s.MaxBatchTokens > 0 ? s.MaxBatchTokens : 1024;
        if (spec.Topology.NextStage is not null || spec.Topology.StageShards.Length > 1)
            rows = Math.Max(1, Math.Min(rows, (TensorBytes.MaxMessageBytes - (1 << 16)) / (config.HiddenSize * 4))); // hidden states fit one message
        var options = new SchedulerOptions
        {
            BlockSize = spec.BlockSize, MaxBatchTokens = rows,
            PrefillChunk = Math.Min(rows, s.PrefillChunk > 0 ? s.PrefillChunk : 512),
            MaxRunning = s.MaxRunning > 0 ? s.MaxRunning : Deployments.KvPoolSizing.DefaultMaxRunning,
            MaxWaiting = s.MaxWaiting > 0 ? s.MaxWaiting : 1024,
        };
        // One batch in flight per pipeline stage, so every stage has one to work on.
        _pump = new BatchPump(new BatchScheduler(spec.KvBlocks, options), Math.Max(1, spec.Topology.Stages), RunStage);
    }

    private void StopServing()
    {
        _pump?.ReleaseAll();
        _pump = null;
    }

    public Task<TokenStep> StartAsync(Guid request, SequenceStart start, CancellationToken cancellation) =>
        Entry(request, cancellation, pump => pump.Start(request, start));

    public Task<TokenStep> ContinueAsync(Guid request, int token, SamplingSpec sample, CancellationToken cancellation) =>
        Entry(request, cancellation, pump => pump.Continue(request, token, sample));

    public Task<double> ScoreAsync(Guid request, int[] ids, CancellationToken cancellation) =>
        Entry(request, cancellation, pump => pump.Score(request, ids));

    private async Task<T> Entry<T>(Guid request, CancellationToken cancellation, Func<BatchPump, Task<T>> step)
    {
        var pump = _pump ?? throw new OlmException($"shard {Key} is not the entry of a batched deployment");
        // A cancelled request is released by its request grain (ReleaseAsync), on this grain's turn: the pump is not
        // thread-safe, so no cancellation callback touches it.
        try
        {
            return await step(pump);
        }
        catch (Exception e) when (e is BusyException or KvCapacityException or ArgumentException or InvalidOperationException)
        {
            throw new OlmException(e.Message);
        }
    }
}
