using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Serving;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A batched deployment's entry (the first stage's master): requests start, continue and are scored here, and wait in
/// the <see cref="BatchPump"/> (its scheduler hands out KV blocks and preempts) until a batch computes them. Other
/// shards keep no state per request: the batch tells them which blocks to use.
/// </summary>
internal sealed class DeploymentEntry
{
    private readonly string _key;
    private readonly StageMaster _master;
    private readonly BatchPump _pump;

    public DeploymentEntry(LoadedShard shard, ModelConfig config, StageMaster master)
    {
        (_key, _master) = (shard.Key, master);
        var spec = shard.Spec;
        // One batch in flight per pipeline stage, so every stage has one to work on.
        _pump = new BatchPump(new BatchScheduler(spec.KvBlocks, Options(spec, config)), Math.Max(1, spec.Topology.Stages), RunBatch);
    }

    /// <summary>Whether the shard is a batched deployment's entry.</summary>
    public static bool Plays(ShardLoadSpec spec) => spec.KvBlocks > 0 && spec.Topology.Stage == 0 && spec.Topology.Rank == 0;

    public BatchScheduler Scheduler => _pump.Scheduler;

    /// <summary>How the deployment's batches are formed; every shard sizes its sliding layers' rings from the same.</summary>
    internal static SchedulerOptions Options(ShardLoadSpec spec, ModelConfig config)
    {
        var s = spec.Serving;
        var rows = s.MaxBatchTokens > 0 ? s.MaxBatchTokens : 1024;
        if (spec.Topology.NextStage is not null || spec.Topology.StageShards.Length > 1)
            rows = Math.Max(1, Math.Min(rows, (TensorBytes.MaxMessageBytes - (1 << 16)) / (config.HiddenSize * 4))); // hidden states fit one message
        return new SchedulerOptions
        {
            BlockSize = spec.BlockSize, MaxBatchTokens = rows,
            PrefillChunk = Math.Min(rows, s.PrefillChunk > 0 ? s.PrefillChunk : SchedulerOptions.DefaultPrefillChunk(spec.Device)),
            MaxRunning = s.MaxRunning > 0 ? s.MaxRunning : Deployments.KvPoolSizing.DefaultMaxRunning,
            MaxWaiting = s.MaxWaiting > 0 ? s.MaxWaiting : 1024,
            Window = config.SlidingWindow,
        };
    }

    /// <summary>A batch through the stages; an engine failure (a weight window's checkpoint gone) becomes its one-line reason.</summary>
    private async Task<BatchResult> RunBatch(BatchMessage batch)
    {
        try { return await _master.RunAsync(batch); }
        catch (Exception e) when (EngineErrors.Translated(e) is { } reason) { throw reason; }
    }

    /// <summary>The shard unloads: requests still running fail as after a lost silo, so they resume on the next plan.</summary>
    public void Stop() =>
        _pump.FailAll(new OlmException($"shard {_key} was unloaded while the request ran", OlmErrorKind.Unavailable));

    public async IAsyncEnumerable<TokenStep> GenerateAsync(Guid request, SequenceStart start,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var tokens = Refusals(() => _pump.Generate(request, start));
        try
        {
            await foreach (var step in tokens.ReadAllAsync(cancellation)) yield return step;
        }
        finally
        {
            // Ended, failed, or the reader stopped (a stop string, a cancelled client): the request's blocks go back.
            _pump.Release(request);
        }
    }

    public async Task<double> ScoreAsync(Guid request, int[] ids)
    {
        var score = Refusals(() => _pump.Score(request, ids));
        try
        {
            return await score;
        }
        finally
        {
            _pump.Release(request);
        }
    }

    /// <summary>Forgets a request: its blocks go back and its stream ends.</summary>
    public void Release(Guid request) => _pump.Release(request);

    /// <summary>A request the scheduler refuses (queue full, larger than the cache, a repeated id) gets its one-line reason.</summary>
    private static T Refusals<T>(Func<T> start)
    {
        try { return start(); }
        catch (BusyException e) { throw new OlmException(e.Message, OlmErrorKind.Busy); }
        catch (KvCapacityException e) { throw new OlmException(e.Message, OlmErrorKind.ContextOverflow); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw new OlmException(e.Message, OlmErrorKind.BadRequest); }
    }
}
