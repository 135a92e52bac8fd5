using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// One sequence on a whole model in this process, alone: its contiguous KV cache and the forward pass over it. The
/// unbatched reference that batched and distributed runs are checked against.
/// </summary>
public sealed class LocalSession(ShardModel model, long capacity) : ITokenSource, IDisposable
{
    private readonly KvCache _cache = model.NewCache(capacity);
    private readonly List<int> _tokens = [];

    public ValueTask<int> PrefillAsync(IReadOnlyList<int> promptIds, SampleRow next, CancellationToken cancellation)
    {
        _cache.Truncate(0);
        _tokens.Clear();
        return ValueTask.FromResult(Forward(promptIds, next));
    }

    public ValueTask<int> DecodeAsync(int tokenId, SampleRow next, CancellationToken cancellation) =>
        ValueTask.FromResult(Forward([tokenId], next));

    private int Forward(IReadOnlyList<int> ids, SampleRow next)
    {
        _tokens.AddRange(ids);
        using var scope = NewDisposeScope();
        var hidden = model.ForwardLayers(model.Embed(tensor(ids.Select(i => (long)i).ToArray())), _cache);
        var logits = model.Logits(hidden.narrow(0, hidden.shape[0] - 1, 1));
        return TokenSampler.Sample(logits, [next with { History = _tokens }])[0];
    }

    public void Dispose() => _cache.Dispose();
}
