using Microsoft.Extensions.Logging;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// The requests a sequence-parallel shard serves: each one's KV cache (its share of the prompt, then the decode tokens
/// it keeps), reserved on the device's ledger when its prefill arrives and released however it ends (finished, failed,
/// cancelled), through the device executor so a cache is never freed under a running step. Batched deployments keep
/// their KV in the pool, scheduled by the entry.
/// </summary>
public sealed partial class ShardGrain
{
    private readonly Dictionary<Guid, RequestState> _requests = new();

    /// <summary>The request's state here; a step with a capacity starts it, reserving its KV cache or refusing.</summary>
    private async Task<RequestState> Admit(Guid request, int capacity)
    {
        var (model, executor, _) = Loaded();
        if (capacity <= 0)
            return _requests.TryGetValue(request, out var existing) ? existing
                // Unavailable: the usual cause is the shard unloaded under the request (its deployment re-planned).
                : throw new OlmException($"request {request} has no KV cache on shard {Key} (released, or never started)", OlmErrorKind.Unavailable);
        if (_requests.TryGetValue(request, out var started)) return started;
        var bytes = model.CacheBytes(capacity);
        if (!_ledger!.TryReserve(bytes))
            throw new OlmException(
                $"KV cache full on shard {Key}: this request needs {Mb(bytes)}, {Mb(_ledger.FreeBytes)} of {Mb(_ledger.BudgetBytes)} free; retry later or shorten it",
                OlmErrorKind.Busy);
        try
        {
            var cache = await executor.RunAsync(() => model.NewCache(capacity));
            return _requests[request] = new RequestState(cache, bytes);
        }
        catch
        {
            _ledger.Release(bytes);
            throw;
        }
    }

    public async Task ReleaseAsync(Guid request)
    {
        _pump?.Release(request);
        _mailbox.Drop(request);
        if (!_requests.Remove(request, out var state)) return;
        // Through the executor: a step of this request may still be running there, and runs to completion first.
        await _executor!.RunAsync(state.Cache.Dispose);
        _ledger!.Release(state.Bytes);
    }

    /// <summary>
    /// A request's work on this shard. If it fails, the request's KV cache here is released and the error goes back as
    /// the engine's one-line reason (the original, with its stack, logged at Debug) or rethrown as it was.
    /// </summary>
    private async Task<T> ForRequest<T>(Guid request, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e)
        {
            await ReleaseAsync(request);
            if (EngineErrors.Translated(e) is not { } reason) throw;
            LogTranslated(log, Key, e);
            throw reason;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "shard {Key}: a request failed")]
    private static partial void LogTranslated(ILogger logger, string key, Exception error);
}
