using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Streams;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Holds a slice of a model on one device and the KV caches of its requests. Every tensor operation runs on the
/// device's executor thread; the grain's own turns only keep the books (which caches exist, how much memory they hold).
/// </summary>
[SiloPinnedPlacement, Immovable, CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class ShardGrain(DeviceInventory inventory, OlmSiloOptions options, ILocalSiloDetails silo,
    ILogger<ShardGrain> log) : Grain, IShardGrain
{
    private readonly Dictionary<Guid, (KvCache Cache, long Bytes)> _caches = new();
    private ShardModel? _model;
    private ShardLoadSpec? _spec;
    private DeviceLedger? _ledger;
    private DeviceExecutor? _executor;
    private long _weightBytes;

    private string Key => this.GetPrimaryKeyString();

    public async Task<ShardStatus> LoadAsync(ShardLoadSpec spec)
    {
        if (_model is not null)
            return spec == _spec ? await StatusAsync() : throw new OlmException($"shard {Key} already holds another slice");
        var ledger = inventory.Ledger(spec.Device);
        var executor = inventory.Executor(spec.Device);
        var model = options.ResolveModel(spec.Model);
        var config = ModelSource.Config(model);
        var slice = ModelSource.ToSlice(spec.Slice);
        var dtype = ShardOptions.ParseDType(spec.DType);
        var bytes = ModelSizing.WeightBytes(config, slice, dtype);
        if (!ledger.TryReserve(bytes))
            throw new OlmException($"{spec.Device} on {silo.SiloAddress} has {Mb(ledger.FreeBytes)} free; shard {spec.Index} needs {Mb(bytes)}");
        var events = Events(spec.DeploymentId);
        var progress = new ProgressBox();
        try
        {
            var load = executor.RunAsync(() =>
            {
                using var weights = ModelSource.Weights(model, config, dtype);
                return ShardModel.Load(config, slice, new ShardOptions { Device = spec.Device, DType = dtype }, weights, progress);
            });
            await ReportProgress(load, progress, events, spec.Index);
            _model = await load;
        }
        catch (Exception e)
        {
            ledger.Release(bytes);
            var error = EngineErrors.Translated(e) ?? e;
            await events.OnNextAsync(new DeploymentEvent(spec.DeploymentId, spec.Index, DeploymentEventKind.Failed, 0, error.Message));
            throw error;
        }
        (_spec, _ledger, _executor, _weightBytes) = (spec, ledger, executor, bytes);
        await events.OnNextAsync(new DeploymentEvent(spec.DeploymentId, spec.Index, DeploymentEventKind.Loaded, 1));
        LogLoaded(log, Key, slice.ToString(), bytes >> 20);
        return await StatusAsync();
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

    public Task<ShardStatus> StatusAsync() => Task.FromResult(new ShardStatus(Key, silo.SiloAddress.ToParsableString(), _spec?.Device ?? "",
        _model is not null, _weightBytes, _caches.Values.Sum(c => c.Bytes), _ledger?.BudgetBytes ?? 0, _caches.Count));

    public async Task UnloadAsync()
    {
        foreach (var id in _caches.Keys.ToList()) await ReleaseAsync(id);
        if (_model is { } model && _executor is { } executor)
        {
            await executor.RunAsync(model.Dispose);
            _ledger!.Release(_weightBytes);
        }
        (_model, _spec, _weightBytes) = (null, null, 0);
        DeactivateOnIdle();
    }

    private static string Mb(long bytes) => $"{bytes / (1 << 20)} MiB";

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Key} loaded {Slice} ({MiB} MiB)")]
    private static partial void LogLoaded(ILogger logger, string key, string slice, long miB);
}
