namespace OrleansLlm.Grains.Streams;

/// <summary>Holds grain states in memory on the oldest silo (see <see cref="OldestSiloGrainStorage"/>).</summary>
[Alias("olm.IStateStoreGrain")]
public interface IStateStoreGrain : IGrainWithIntegerKey
{
    [Alias("Read")] Task<StoredState?> ReadAsync(string key);
    [Alias("Write")] Task<string> WriteAsync(string key, object state, string? expectedETag);
    [Alias("Clear")] Task ClearAsync(string key, string? expectedETag);
}

[GenerateSerializer, Immutable, Alias("olm.StoredState")]
public sealed record StoredState([property: Id(0)] object State, [property: Id(1)] string ETag);
