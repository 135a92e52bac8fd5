using Orleans.Runtime;
using Orleans.Storage;

namespace OrleansLlm.Grains.Streams;

/// <summary>
/// In-memory grain storage kept on the oldest silo, for seed-based clusters (see <see cref="ControlStorage"/>): with
/// Orleans' memory storage a subscription whose state lived on a silo that died is lost, and with it the event that
/// reports the death.
/// </summary>
public sealed class OldestSiloGrainStorage(IGrainFactory grains) : IGrainStorage
{
    private IStateStoreGrain Store => grains.GetGrain<IStateStoreGrain>(0);

    private static string Key(string stateName, GrainId id) => $"{stateName}/{id}";

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var stored = await Store.ReadAsync(Key(stateName, grainId));
        grainState.State = stored is null ? Activator.CreateInstance<T>() : (T)stored.State;
        grainState.ETag = stored?.ETag;
        grainState.RecordExists = stored is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.ETag = await Store.WriteAsync(Key(stateName, grainId), grainState.State!, grainState.ETag);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await Store.ClearAsync(Key(stateName, grainId), grainState.ETag);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }
}
