using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>The per-request side of a shard: KV caches admitted against the device budget, prefill, decode, release.</summary>
public sealed partial class ShardGrain
{
    public async Task<TensorBytes> PrefillAsync(Guid request, int[] promptIds, int capacity, CancellationToken cancellation)
    {
        var (model, executor) = Loaded();
        await ReleaseAsync(request);
        var bytes = model.CacheBytes(capacity);
        if (!_ledger!.TryReserve(bytes))
            throw new OlmException(
                $"KV cache full on shard {Key}: this request needs {Mb(bytes)}, {Mb(_ledger.FreeBytes)} of {Mb(_ledger.BudgetBytes)} free; retry later or shorten it");
        var cache = await executor.RunAsync(() => model.NewCache(capacity));
        _caches[request] = (cache, bytes);
        try
        {
            return await EngineErrors.Translate(() => executor.RunAsync(() => Forward(model, cache, promptIds), cancellation));
        }
        catch
        {
            await ReleaseAsync(request);
            throw;
        }
    }

    public async Task<TensorBytes> DecodeAsync(Guid request, int tokenId, CancellationToken cancellation)
    {
        var (model, executor) = Loaded();
        if (!_caches.TryGetValue(request, out var entry))
            throw new OlmException($"request {request} has no KV cache on shard {Key} (released, or never prefilled)");
        try
        {
            return await EngineErrors.Translate(() => executor.RunAsync(() => Forward(model, entry.Cache, [tokenId]), cancellation));
        }
        catch
        {
            await ReleaseAsync(request);
            throw;
        }
    }

    public async Task<double> ScoreAsync(int[] ids, CancellationToken cancellation)
    {
        var (model, executor) = Loaded();
        if (ids.Length < 2) throw new OlmException("perplexity needs at least 2 tokens");
        var bytes = model.CacheBytes(ids.Length);
        if (!_ledger!.TryReserve(bytes)) throw new OlmException($"KV cache full on shard {Key}: scoring needs {Mb(bytes)}");
        try
        {
            return await EngineErrors.Translate(() => executor.RunAsync(() => NegativeLogLikelihood(model, ids), cancellation));
        }
        finally
        {
            _ledger.Release(bytes);
        }
    }

    public async Task ReleaseAsync(Guid request)
    {
        if (!_caches.Remove(request, out var entry)) return;
        // Through the executor: a step of this request may still be running there, and runs to completion first.
        await _executor!.RunAsync(entry.Cache.Dispose);
        _ledger!.Release(entry.Bytes);
    }

    private (ShardModel, DeviceExecutor) Loaded() =>
        _model is { } m && _executor is { } e ? (m, e) : throw new OlmException($"shard {Key} is not loaded");

    private static TensorBytes Forward(ShardModel model, KvCache cache, int[] ids)
    {
        using var scope = NewDisposeScope();
        var hidden = model.ForwardLayers(model.Embed(tensor(ids.Select(i => (long)i).ToArray())), cache);
        var logits = model.Logits(hidden.narrow(0, hidden.shape[0] - 1, 1)).squeeze(0L);
        return TensorWire.ToBytes(logits).EnsureSendable();
    }

    private static double NegativeLogLikelihood(ShardModel model, int[] ids)
    {
        using var scope = NewDisposeScope();
        using var cache = model.NewCache(ids.Length);
        var input = tensor(ids.Select(i => (long)i).ToArray());
        var logits = model.Logits(model.ForwardLayers(model.Embed(input), cache));            // [S, V]
        var logProbs = logits.narrow(0, 0, ids.Length - 1).to(ScalarType.Float64).log_softmax(-1);
        var targets = input.narrow(0, 1, ids.Length - 1).to(logits.device).unsqueeze(1);
        return -logProbs.gather(1, targets).sum().item<double>();
    }
}
