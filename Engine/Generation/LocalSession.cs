using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// One sequence on a whole model in this process, alone: its contiguous KV cache and the forward pass over it. The
/// unbatched reference that batched and distributed runs are checked against.
/// </summary>
public sealed class LocalSession(ShardModel model, long capacity) : ITokenStream, IDisposable
{
    private readonly KvCache _cache = model.NewCache(capacity);

    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, TokenPlan plan,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        _cache.Truncate(0);
        var tokens = new List<int>(promptIds);
        var draws = new Sampler(plan.Sampling, plan.SkipDraws);
        var id = Forward(promptIds, tokens, draws);
        for (var produced = 1; ; produced++)
        {
            yield return id;
            if (plan.Ends(id, produced)) yield break;
            await Task.Yield();
            cancellation.ThrowIfCancellationRequested();
            tokens.Add(id);
            id = Forward([id], tokens, draws);
        }
    }

    private int Forward(IReadOnlyList<int> ids, List<int> tokens, Sampler draws)
    {
        using var scope = NewDisposeScope();
        var hidden = model.ForwardLayers(model.Embed(tensor(ids.Select(i => (long)i).ToArray())), _cache);
        var logits = model.Logits(hidden.narrow(0, hidden.shape[0] - 1, 1));
        return TokenSampler.Sample(logits, [draws.NextRow(tokens)])[0];
    }

    public void Dispose() => _cache.Dispose();
}
