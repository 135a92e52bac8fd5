using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Requests;

/// <summary>The engine's forward pass as calls to a deployment's shard grains, for one request.</summary>
internal sealed class ShardLogitsSource(IGrainFactory grains, DeploymentInfo deployment, Guid request, int capacity)
    : ILogitsSource
{
    private readonly IShardGrain _shard = grains.GetGrain<IShardGrain>(deployment.Shards[0].GrainKey);

    public async ValueTask<Tensor> PrefillAsync(IReadOnlyList<int> promptIds, CancellationToken cancellation) =>
        TensorWire.FromBytes(await _shard.PrefillAsync(request, promptIds.ToArray(), capacity, cancellation));

    public async ValueTask<Tensor> DecodeAsync(int tokenId, CancellationToken cancellation) =>
        TensorWire.FromBytes(await _shard.DecodeAsync(request, tokenId, cancellation));

    /// <summary>Frees the request's KV cache on every shard; safe after a failure and when called twice.</summary>
    public Task ReleaseAsync() =>
        Task.WhenAll(deployment.Shards.Select(s => grains.GetGrain<IShardGrain>(s.GrainKey).ReleaseAsync(request)));
}
