using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>One sequence on a whole model in this process: its KV cache and the forward pass over it.</summary>
public sealed class LocalSession(ShardModel model, long capacity) : ILogitsSource, IDisposable
{
    private readonly KvCache _cache = model.NewCache(capacity);

    public ValueTask<Tensor> PrefillAsync(IReadOnlyList<int> promptIds, CancellationToken cancellation)
    {
        _cache.Truncate(0);
        return ValueTask.FromResult(Forward(promptIds.Select(i => (long)i).ToArray()));
    }

    public ValueTask<Tensor> DecodeAsync(int tokenId, CancellationToken cancellation) =>
        ValueTask.FromResult(Forward([tokenId]));

    private Tensor Forward(long[] ids)
    {
        using var scope = NewDisposeScope();
        var hidden = model.ForwardLayers(model.Embed(tensor(ids)), _cache);
        var last = hidden.narrow(0, hidden.shape[0] - 1, 1);
        return model.Logits(last).squeeze(0).MoveToOuterDisposeScope();
    }

    public void Dispose() => _cache.Dispose();
}
