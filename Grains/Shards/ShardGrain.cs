using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Streams;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Holds a slice of a model on one device and its KV pool. Every tensor operation runs on the device's executor
/// thread; the grain's turns only keep the books. The first stage's master is the deployment's entry: it schedules
/// every batch (<see cref="BatchPump"/>). The grain is reentrant: a stage serves the next batch while one waits
/// downstream, and tensor-parallel ranks exchange partial sums mid-batch.
/// </summary>
[SiloPinnedPlacement, Immovable, Reentrant, CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class ShardGrain(DeviceInventory inventory, OlmSiloOptions options, Weights.ModelFolders folders,
    ILocalSiloDetails silo, GpuCliques cliques, ILogger<ShardGrain> log) : Grain, IShardGrain
{
    private ShardModel? _model;
    private PagedKvPool? _pool;
    private Engine.Batching.DecodeGraphs? _graphs;
    private Engine.Parallel.DeviceCollective? _collective;
    private ShardLoadSpec? _spec;
    private DeviceLedger? _ledger;
    private DeviceExecutor? _executor;
    private long _reservedBytes;
    private Task<ShardStatus>? _loading;

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
        try
        {
            var config = ModelSource.Config(model);
            var slice = ModelSource.ToSlice(spec.Slice);
            var dtype = spec.DType.ToScalarType();
            var shardOptions = ModelSource.Options(model, config, spec.Device, dtype, spec.Weights, spec.Sparsity);
            var poolBytes = (long)spec.KvBlocks * spec.BlockSize * ModelSizing.PoolBytesPerToken(config, slice, dtype);
            bytes = ModelSizing.HeldBytes(config, slice, dtype, shardOptions.Int8 is not null, shardOptions.Window) + poolBytes;
            if (!ledger.TryReserve(bytes))
                throw new OlmException($"{spec.Device} on {silo.SiloAddress} has {Mb(ledger.FreeBytes)} free; shard {spec.Index} needs {Mb(bytes)}");
            var progress = new ProgressBox();
            var load = executor.RunAsync(() => OnDevice(spec, model, config, slice, shardOptions, progress));
            await ReportProgress(load, progress, events, spec.Index);
            (_model, _pool) = await load;
            _collective = await executor.RunAsync(() => Collective(spec));
            StartServing(spec, config);
            LogLoaded(log, Key, slice.ToString(), bytes >> 20);
            if (_model.StaticPlan is { } plan) LogCalibrated(log, Key, plan.ToString());
            if (_model.SparseShare is { } share) LogSparse(log, Key, share);
        }
        catch (Exception e)
        {
            // A load that failed after the weights came in (the NCCL group, the batch pump) gives them back too.
            if (_model is { } loaded)
            {
                var pool = _pool;
                await executor.RunAsync(() => { pool?.Dispose(); loaded.Dispose(); });
            }
            cliques.Release(CollectiveGroup(spec));
            ledger.Release(bytes);
            (_model, _pool, _collective, _spec, _loading) = (null, null, null, null, null);
            var error = EngineErrors.Translated(e) ?? e;
            await events.OnNextAsync(new DeploymentEvent(spec.DeploymentId, spec.Index, DeploymentEventKind.Failed, 0, error.Message));
            throw error;
        }
        (_ledger, _executor, _reservedBytes) = (ledger, executor, bytes);
        ReportKv();
        await events.OnNextAsync(new DeploymentEvent(spec.DeploymentId, spec.Index, DeploymentEventKind.Loaded, 1));
        return await StatusAsync();
    }

    /// <summary>On the device's thread: the slice's weights and the KV pool.</summary>
    private (ShardModel, PagedKvPool?) OnDevice(ShardLoadSpec spec, string model, Engine.Config.ModelConfig config, ModelSlice slice,
        ShardOptions shardOptions, ProgressBox progress)
    {
        // On a GPU, our native component (when present) loads before any TorchScript runs: its settings apply to the
        // executors that first runs create.
        if (spec.Device.StartsWith("cuda", StringComparison.Ordinal)) _ = Engine.Cuda.NativeCuda.Loaded;
        // A windowed shard reads everything with positioned reads: a memory map's touched pages would count in the
        // process's resident memory until it closes (an 8B embedding is a gigabyte of them).
        var dtype = shardOptions.DType;
        var streamed = shardOptions.Window > 0 ? OpenWeights(spec.Model, model, dtype, spec.Device, streaming: true) : null;
        using var mapped = streamed is null ? OpenWeights(spec.Model, model, dtype, spec.Device, streaming: false) : null;
        var loaded = ShardModel.Load(config, slice, shardOptions, mapped ?? streamed!, progress, streamed);
        try { return (loaded, spec.KvBlocks > 0 ? loaded.NewPool(spec.KvBlocks, spec.BlockSize) : null); }
        catch { loaded.Dispose(); throw; }
    }

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

    public Task<ShardStatus> StatusAsync()
    {
        var scheduler = _pump?.Scheduler;
        var poolBytes = _reservedBytes - (_model?.WeightBytes ?? 0);
        return Task.FromResult(new ShardStatus(Key, silo.SiloAddress.ToParsableString(), _spec?.Device ?? "",
            _model is not null, _model?.WeightBytes ?? 0, _pool is null ? _requests.Values.Sum(r => r.Bytes) : poolBytes,
            _ledger?.BudgetBytes ?? 0, scheduler is null ? _requests.Count : scheduler.Running + scheduler.Waiting,
            _requests.Values.Sum(r => r.Cache.Length), _pool is null ? 0 : _pool.Blocks - 1,
            scheduler is null ? -1 : scheduler.TotalBlocks - scheduler.FreeBlocks, scheduler?.Waiting ?? 0,
            scheduler?.Preemptions ?? 0, Weights()));
    }

    /// <summary>How this shard holds its layers: its window's figures so far, and its quantization.</summary>
    private WeightStatus? Weights()
    {
        if (_model is not { } model) return null;
        var s = model.WeightStats;
        return new WeightStatus(s.Window, s.Blocks, s.Loads, s.LoadMs, s.StallMs,
            _spec?.Weights is { Quantize: not Quantization.None } w ? w.ToString().Split(", ")[0] : "", model.StaticPlan?.ToString() ?? "",
            model.SparseShare ?? 0);
    }

    public async Task UnloadAsync()
    {
        if (_loading is not null)
            try { await _loading; } catch (Exception) { } // a failed load has already freed what it took
        _allReduceBuffer?.Close($"shard {Key} was unloaded during an all-reduce");
        _allReduceBuffer = null;
        foreach (var id in _requests.Keys.ToList()) await ReleaseAsync(id);
        StopServing();
        if (_model is { } model && _executor is { } executor)
        {
            var (pool, graphs) = (_pool, _graphs);
            await executor.RunAsync(() => { graphs?.Dispose(); pool?.Dispose(); model.Dispose(); });
            _ledger!.Release(_reservedBytes);
        }
        if (_collective is not null && _spec is { } spec) cliques.Release(CollectiveGroup(spec));
        (_model, _pool, _graphs, _spec, _reservedBytes, _loading, _collective) = (null, null, null, null, 0, null, null);
        ReportKv();
        DeactivateOnIdle();
    }

    private static string Mb(long bytes) => $"{bytes / (1 << 20)} MiB";

    /// <summary>The shard's weights: from this silo's folder (mapped, or read as a window streams), or from the silo that has it.</summary>
    private Engine.Checkpoints.IWeightSource OpenWeights(string name, string model, TorchSharp.torch.ScalarType dtype, string device, bool streaming) =>
        folders.PeerWeights(name) as Engine.Checkpoints.IWeightSource
        ?? (streaming ? ModelSource.StreamedWeights(model, dtype, device) : ModelSource.Weights(model, dtype, device));

    private (ShardModel, DeviceExecutor, ShardTopology) Loaded() =>
        _model is { } m && _executor is { } e && _spec is { } s ? (m, e, s.Topology)
            : throw new OlmException($"shard {Key} is not loaded", OlmErrorKind.Unavailable); // unloaded, or not yet reloaded

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Key} loaded {Slice} ({MiB} MiB)")]
    private static partial void LogLoaded(ILogger logger, string key, string slice, long miB);

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Key} calibrated static int8 scales: {Plan}")]
    private static partial void LogCalibrated(ILogger logger, string key, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Key} decodes sparsely, skipping {Share:P0} of each layer's heads and neurons")]
    private static partial void LogSparse(ILogger logger, string key, double share);
}
