using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using OrleansLlm.Grains.Placement;
using Orleans.Storage;
using OrleansLlm.Grains.Requests;
using OrleansLlm.Grains.Streams;

namespace OrleansLlm.Grains.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>Everything a silo needs to serve OrleansLlm: its devices, placement, compute threads, event streams.</summary>
    public static ISiloBuilder AddOrleansLlm(this ISiloBuilder silo, OlmSiloOptions options)
    {
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton<DeviceInventory>();
        silo.Services.AddSingleton<Weights.ModelFolders>();
        silo.Services.AddSingleton<TokenizerCache>();
        silo.Services.AddSingleton<Prompts>();
        silo.Services.AddMetrics();
        silo.Services.AddSingleton<Telemetry.KvUsage>();
        silo.Services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        silo.Services.AddPlacementDirector<OldestSiloPlacement, OldestSiloPlacementDirector>();
        silo.Services.AddHostedService<SiloDeathWatcher>();
        silo.AddMemoryStreams(StreamNames.Provider);
        silo.Services.AddKeyedSingleton<IGrainStorage>("PubSubStore",
            (sp, _) => new OldestSiloGrainStorage(sp.GetRequiredService<IGrainFactory>()));
        return silo;
    }
}
