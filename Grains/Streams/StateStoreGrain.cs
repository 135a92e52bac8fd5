using Orleans.Storage;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Streams;

[ControlPlacement, CollectionAgeLimit(AlwaysActive = true)]
public sealed class StateStoreGrain : Grain, IStateStoreGrain
{
    private readonly Dictionary<string, StoredState> _states = new();
    private long _version;

    public Task<StoredState?> ReadAsync(string key) => Task.FromResult(_states.GetValueOrDefault(key));

    public Task<string> WriteAsync(string key, object state, string? expectedETag)
    {
        Check(key, expectedETag);
        var etag = (++_version).ToString();
        _states[key] = new StoredState(state, etag);
        return Task.FromResult(etag);
    }

    public Task ClearAsync(string key, string? expectedETag)
    {
        Check(key, expectedETag);
        _states.Remove(key);
        return Task.CompletedTask;
    }

    private void Check(string key, string? expectedETag)
    {
        var current = _states.GetValueOrDefault(key)?.ETag;
        if (current != expectedETag)
            throw new InconsistentStateException($"state {key} changed (etag {current}, expected {expectedETag})", current, expectedETag);
    }
}
