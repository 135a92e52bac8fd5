using OrleansLlm.Grains.Interfaces.Connection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansLlm.Grains.Placement;
using OrleansLlm.Grains.Requests;
using OrleansLlm.Grains.Streams;

namespace OrleansLlm.Grains.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>
    /// Everything a silo needs to serve OrleansLlm: its devices, placement, compute threads, event streams, and where
    /// control state lives (<paramref name="access"/>: seed-based, the default, or Redis).
    /// </summary>
    public static ISiloBuilder AddOrleansLlm(this ISiloBuilder silo, OlmSiloOptions options, ClusterAccess? access = null)
    {
        access ??= new ClusterAccess();
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ClusterNames.ResponseTimeout);
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton(access);
        silo.Services.AddSingleton<DeviceInventory>();
        silo.Services.AddSingleton<Shards.GpuCliques>();
        silo.Services.AddSingleton<Weights.ModelFolders>();
        silo.Services.AddSingleton<TokenizerCache>();
        silo.Services.AddSingleton<Prompts>();
        silo.Services.AddMetrics();
        silo.Services.AddSingleton<Telemetry.KvUsage>();
        silo.Services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        silo.Services.AddPlacementDirector<ControlPlacement, ControlPlacementDirector>();
        silo.Services.AddHostedService<SiloDeathWatcher>();
        silo.Services.AddSingleton<LocalRequests>();
        silo.Services.AddHostedService<SiloDrain>();
        // Time for a stopping silo to move its shards off and let its generations finish.
        silo.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout);
        silo.AddMemoryStreams(StreamNames.Provider);
        ControlStorage.AddTo(silo, access);
        return silo;
    }
}
