using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Streams;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;
using OrleansLlm.Grains.Telemetry;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Holds a slice of a model on one device and its KV pool. The grain is the Orleans surface: it loads and unloads the
/// slice, reports its status and KV gauges, and hands each call to the role the shard plays (<see cref="ShardRoles"/>):
/// the deployment's entry, a stage's master, a tensor-parallel peer or a sequence-parallel shard. Every tensor operation
/// runs on the device's executor thread; the grain's turns only keep the books. The grain is reentrant: a stage serves
/// the next batch while one waits downstream, and tensor-parallel ranks exchange partial sums mid-batch.
/// </summary>
[SiloPinnedPlacement, Immovable, Reentrant, CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class ShardGrain(DeviceInventory inventory, OlmSiloOptions options, Weights.ModelFolders folders,
    ILocalSiloDetails silo, GpuCliques cliques, ILogger<ShardGrain> log) : Grain, IShardGrain
{
    private ShardLoadSpec? _spec;
    private Task<ShardStatus>? _loading;
    private ShardRoles? _roles;

    private string Key => this.GetPrimaryKeyString();

    public Task<ShardStatus> LoadAsync(ShardLoadSpec spec)
    {
        if (_loading is not null && _spec == spec) return _loading;
        if (_loading is not null) throw new OlmException($"shard {Key} already holds another slice");
        _spec = spec;
        _loading = Load(spec);
        return _loading;
    }

    private async Task<ShardStatus> Load(ShardLoadSpec spec)
    {
        var model = folders.Resolve(spec.Model);
        var ledger = inventory.Ledger(spec.Device);
        var executor = inventory.Executor(spec.Device);
        var events = Events(spec.DeploymentId);
        long bytes = 0;
        (ShardModel Model, PagedKvPool? Pool)? weights = null;
        try
        {
            var config = ModelSource.Config(model);
            var slice = ModelSource.ToSlice(spec.Slice);
            var dtype = spec.DType.ToScalarType();
            var shardOptions = ModelSource.Options(model, config, spec.Device, dtype, spec.Weights, spec.Sparsity);
            var localBlocks = DeploymentEntry.Options(spec, config).LocalPoolBlocks(spec.KvBlocks);
            var poolBytes = ModelSizing.PoolBytes(config, slice, dtype, spec.KvBlocks, localBlocks, spec.BlockSize);
            bytes = ModelSizing.HeldBytes(config, slice, dtype, shardOptions.Int8 is not null, shardOptions.Window) + poolBytes;
            if (!ledger.TryReserve(bytes))
                throw new OlmException($"{spec.Device} on {silo.SiloAddress} has {Mb(ledger.FreeBytes)} free; shard {spec.Index} needs {Mb(bytes)}");
            var progress = new ProgressBox();
            var load = executor.RunAsync(() => OnDevice(spec, model, config, slice, shardOptions, localBlocks, progress));
            await ReportProgress(load, progress, events, spec.Index);
            weights = await load;
            var (loaded, pool) = weights.Value;
            var collective = await executor.RunAsync(() => DeviceAllReduce.Collective(Key, spec, loaded, cliques));
            var shard = new LoadedShard(Key, spec, loaded, pool, collective, executor, ledger, bytes);
            _roles = ShardRoles.For(shard, config, GrainFactory, silo.SiloAddress.ToParsableString(), options.KvPieceBytes, log);
            LogLoaded(log, Key, slice.ToString(), bytes >> 20);
            if (loaded.StaticPlan is { } plan) LogCalibrated(log, Key, plan.ToString());
            if (loaded.SparseShare is { } share) LogSparse(log, Key, share);
        }
        catch (Exception e)
        {
            // A load that failed after the weights came in (the NCCL group, the batch pump) gives them back too.
            if (weights is var (loaded, pool)) await executor.RunAsync(() => { pool?.Dispose(); loaded.Dispose(); });
            cliques.Release(DeviceAllReduce.Group(spec));
            ledger.Release(bytes);
            (_roles, _spec, _loading) = (null, null, null);
            var error = EngineErrors.Translated(e) ?? e;
            await events.OnNextAsync(new DeploymentEvent(spec.DeploymentId, spec.Index, DeploymentEventKind.Failed, 0, error.Message));
            throw error;
        }
        ReportKv();
        await events.OnNextAsync(new DeploymentEvent(spec.DeploymentId, spec.Index, DeploymentEventKind.Loaded, 1));
        return await StatusAsync();
    }

    /// <summary>On the device's thread: the slice's weights and the KV pool.</summary>
    private (ShardModel, PagedKvPool?) OnDevice(ShardLoadSpec spec, string model, Engine.Config.ModelConfig config, ModelSlice slice,
        ShardOptions shardOptions, int localBlocks, ProgressBox progress)
    {
        // On a GPU, our native component (when present) loads before any TorchScript runs: its settings apply to the
        // executors that first runs create.
        if (DeviceName.IsGpu(spec.Device)) _ = Engine.Cuda.NativeCuda.Loaded;
        // A windowed shard reads everything with positioned reads: a memory map's touched pages would count in the
        // process's resident memory until it closes (an 8B embedding is a gigabyte of them).
        var dtype = shardOptions.DType;
        var streamed = shardOptions.Window > 0 ? OpenWeights(spec.Model, model, dtype, spec.Device, streaming: true) : null;
        using var mapped = streamed is null ? OpenWeights(spec.Model, model, dtype, spec.Device, streaming: false) : null;
        var loaded = ShardModel.Load(config, slice, shardOptions, mapped ?? streamed!, progress, streamed);
        try { return (loaded, spec.KvBlocks > 0 ? loaded.NewPool(spec.KvBlocks, spec.BlockSize, localBlocks) : null); }
        catch { loaded.Dispose(); throw; }
    }

    /// <summary>The shard's weights: from this silo's folder (mapped, or read as a window streams), or from the silo that has it.</summary>
    private Engine.Checkpoints.IWeightSource OpenWeights(string name, string model, TorchSharp.torch.ScalarType dtype, string device, bool streaming) =>
        folders.PeerWeights(name) as Engine.Checkpoints.IWeightSource
        ?? (streaming ? ModelSource.StreamedWeights(model, dtype, device) : ModelSource.Weights(model, dtype, device));

    private static async Task ReportProgress(Task load, ProgressBox progress, IAsyncStream<DeploymentEvent> events, int index)
    {
        var last = -1.0;
        while (!load.IsCompleted)
        {
            await Task.WhenAny(load, Task.Delay(250));
            var now = progress.Value;
            if (now > last && !load.IsCompleted)
            {
                last = now;
                await events.OnNextAsync(new DeploymentEvent(events.StreamId.GetKeyAsString(), index, DeploymentEventKind.Loading, now));
            }
        }
    }

    private IAsyncStream<DeploymentEvent> Events(string deploymentId) =>
        this.GetStreamProvider(StreamNames.Provider).GetStream<DeploymentEvent>(StreamNames.Deployments, deploymentId);

    public async Task UnloadAsync()
    {
        if (_loading is not null)
            try { await _loading; }
            catch (Exception e)
            {
                // A failed load has already freed what it took, and told its caller why.
                LogLoadFailed(log, Key, e.Message.Split('\n')[0]);
            }
        if (_roles is { } roles)
        {
            await roles.StopAsync();
            if (roles.Shard.Collective is not null) cliques.Release(DeviceAllReduce.Group(roles.Shard.Spec));
        }
        (_roles, _spec, _loading) = (null, null, null);
        ReportKv();
        DeactivateOnIdle();
    }

    public async IAsyncEnumerable<TokenStep> GenerateAsync(Guid request, SequenceStart start,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await foreach (var step in Entry().GenerateAsync(request, start, cancellation)) yield return step;
    }

    public Task<double> ScoreAsync(Guid request, int[] ids, CancellationToken cancellation) => Entry().ScoreAsync(request, ids);

    public async Task<BatchResult> ForwardAsync(BatchMessage batch)
    {
        var roles = Roles();
        try
        {
            return roles.Master is { } master ? await master.RunAsync(batch)
                : roles.Peer is { } peer ? await peer.RunAsync(batch)
                : throw new OlmException($"shard {Key} holds no KV pool (a sequence-parallel shard takes no batches)");
        }
        catch (Exception e) when (EngineErrors.Translated(e) is { } reason)
        {
            throw reason;
        }
    }

    public Task<TensorBytes?> ContributeAsync(long batch, int op, int rank, TensorBytes partial) =>
        Rank().AllReduces.ContributeAsync(batch, op, rank, partial);

    public Task AbortBatchAsync(long batch, string reason)
    {
        // Only a rank of a stage has all-reduces to fail; elsewhere (not loaded, sequence-parallel) nothing waits.
        _roles?.Rank?.AllReduces.Abort(batch, reason);
        return Task.CompletedTask;
    }

    public Task<SequencePrefillResult> SequencePrefillAsync(Guid request, SequencePrefillInput input, CancellationToken cancellation) =>
        Sequence().PrefillAsync(request, input, cancellation);

    public Task ReceiveKvAsync(Guid request, int layer, int step, KvPiece piece)
    {
        Sequence().ReceiveKv(request, layer, step, piece);
        return Task.CompletedTask;
    }

    public Task<int> SequenceDecodeAsync(Guid request, int tokenId, long position, TokenDraw sample, CancellationToken cancellation) =>
        Sequence().DecodeAsync(request, tokenId, position, sample);

    public Task<TensorBytes[]> AttendAsync(Guid request, int layer, long position, TensorBytes query) =>
        Sequence().AttendAsync(request, layer, position, query);

    public async Task ReleaseAsync(Guid request)
    {
        _roles?.Entry?.Release(request);
        if (_roles?.Sequence is { } sequence) await sequence.ReleaseAsync(request);
    }

    public Task<ShardStatus> StatusAsync()
    {
        var (shard, scheduler, sequence) = (_roles?.Shard, _roles?.Entry?.Scheduler, _roles?.Sequence);
        var weightBytes = shard?.Model.WeightBytes ?? 0;
        var poolBytes = (shard?.ReservedBytes ?? 0) - weightBytes;
        return Task.FromResult(new ShardStatus(Key, silo.SiloAddress.ToParsableString(), _spec?.Device ?? "",
            shard is not null, weightBytes, shard?.Pool is null ? sequence?.CacheBytes ?? 0 : poolBytes,
            shard?.Ledger.BudgetBytes ?? 0, scheduler is null ? sequence?.Requests ?? 0 : scheduler.Running + scheduler.Waiting,
            sequence?.CachedTokens ?? 0, shard?.Pool is { } pool ? pool.Blocks - 1 : 0,
            scheduler is null ? -1 : scheduler.TotalBlocks - scheduler.FreeBlocks, scheduler?.Waiting ?? 0,
            scheduler?.Preemptions ?? 0, Weights(shard), shard?.Pool?.ResidentBytes ?? sequence?.CacheBytes ?? 0));
    }

    /// <summary>How this shard holds its layers: its window's figures so far, and its quantization.</summary>
    private static WeightStatus? Weights(LoadedShard? shard)
    {
        if (shard?.Model is not { } model) return null;
        var s = model.WeightStats;
        return new WeightStatus(s.Window, s.Blocks, s.Loads, s.LoadMs, s.StallMs,
            shard.Spec.Weights is { Quantize: not Quantization.None } w ? w.ToString().Split(", ")[0] : "", model.StaticPlan?.ToString() ?? "",
            model.SparseShare ?? 0);
    }

    /// <summary>The entry's KV blocks in use and in all, and this shard's weights and pool, for the silo's gauges.</summary>
    private void ReportKv()
    {
        var usage = ServiceProvider.GetService<KvUsage>();
        if (_roles?.Entry?.Scheduler is not { } scheduler) usage?.Forget(Key);
        else usage?.Watch(Key, () => (scheduler.TotalBlocks - scheduler.FreeBlocks, scheduler.TotalBlocks));
        if (_roles?.Shard is not { } shard) usage?.ForgetMemory(Key);
        else
        {
            var (weights, reserved) = (shard.Model.WeightBytes, shard.ReservedBytes - shard.Model.WeightBytes);
            usage?.WatchMemory(Key, () => (weights, shard.Pool is null ? 0 : reserved, shard.Pool?.ResidentBytes ?? 0));
        }
    }

    private ShardRoles Roles() =>
        _roles ?? throw new OlmException($"shard {Key} is not loaded", OlmErrorKind.Unavailable); // unloaded, or not yet reloaded

    private DeploymentEntry Entry() => _roles?.Entry ?? throw new OlmException($"shard {Key} is not the entry of a batched deployment");

    private StageRank Rank() =>
        Roles().Rank ?? throw new OlmException($"shard {Key} holds no KV pool (a sequence-parallel shard takes no batches)");

    private SequenceShard Sequence() =>
        Roles().Sequence ?? throw new OlmException($"shard {Key} is not sequence-parallel (its requests' KV is in the entry's pool)");

    private static string Mb(long bytes) => $"{bytes / (1 << 20)} MiB";

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Key} loaded {Slice} ({MiB} MiB)")]
    private static partial void LogLoaded(ILogger logger, string key, string slice, long miB);

    [LoggerMessage(Level = LogLevel.Debug, Message = "shard {Key} unloads after its load failed: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Key} calibrated static int8 scales: {Plan}")]
    private static partial void LogCalibrated(ILogger logger, string key, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Key} decodes sparsely, skipping {Share:P0} of each layer's heads and neurons")]
    private static partial void LogSparse(ILogger logger, string key, double share);
}
