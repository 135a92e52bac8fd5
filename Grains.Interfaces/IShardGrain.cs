namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A slice of a model's weights on one device of one silo, and the KV caches of the requests it serves. The key is
/// "{deployment}/{index}@{silo}": placement reads the silo from it, so a shard is activated where its device is.
/// </summary>
[Alias("olm.IShardGrain")]
public interface IShardGrain : IGrainWithStringKey
{
    /// <summary>Loads the weights (idempotent: a loaded shard answers at once). Reports progress on the deployment stream.</summary>
    [ResponseTimeout("00:30:00"), Alias("Load")]
    Task<ShardStatus> LoadAsync(ShardLoadSpec spec);

    /// <summary>Starts a sequence: reserves its KV cache (refusing what does not fit), runs the prompt, returns its last logits.</summary>
    [ResponseTimeout("00:10:00"), Alias("Prefill")]
    Task<TensorBytes> PrefillAsync(Guid request, int[] promptIds, int capacity, CancellationToken cancellation);

    /// <summary>One more token of a started sequence; returns its logits.</summary>
    [Alias("Decode")]
    Task<TensorBytes> DecodeAsync(Guid request, int tokenId, CancellationToken cancellation);

    /// <summary>Sum of negative log-likelihoods of ids[1..] given their prefixes (perplexity), with no cache kept.</summary>
    [ResponseTimeout("00:10:00"), Alias("Score")]
    Task<double> ScoreAsync(int[] ids, CancellationToken cancellation);

    /// <summary>Frees a request's KV cache; unknown requests are ignored, so it is safe to call twice.</summary>
    [AlwaysInterleave, Alias("Release")]
    Task ReleaseAsync(Guid request);

    [AlwaysInterleave, Alias("Status")]
    Task<ShardStatus> StatusAsync();

    /// <summary>Frees the weights and every cache, and lets the activation go.</summary>
    [Alias("Unload")]
    Task UnloadAsync();
}

/// <summary>What a shard loads.</summary>
[GenerateSerializer, Immutable, Alias("olm.ShardLoadSpec")]
public sealed record ShardLoadSpec(
    [property: Id(0)] string DeploymentId,
    [property: Id(1)] int Index,
    [property: Id(2)] string Model,
    [property: Id(3)] string Device,
    [property: Id(4)] string DType,
    [property: Id(5)] SliceSpec Slice);
