using Microsoft.Extensions.Logging;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A sequence-parallel shard: every shard holds the whole model, and each request keeps a contiguous KV cache here
/// (its share of the prompt, then the decode tokens it keeps), reserved on the device's ledger when its prefill arrives
/// and released however it ends, through the executor so a cache is never freed under a running step. Prefill and
/// distributed-KV decode are the engine's algorithms; this wires them to grain calls and the KV mailbox.
/// </summary>
internal sealed partial class SequenceShard(LoadedShard shard, IGrainFactory grains, string localSilo, long kvPieceBytes, ILogger log)
{
    private readonly Dictionary<Guid, RequestState> _requests = new();
    private readonly KvMailbox _mailbox = new();

    public int Requests => _requests.Count;
    public long CacheBytes => _requests.Values.Sum(r => r.Bytes);
    public long CachedTokens => _requests.Values.Sum(r => r.Cache.Length);

    public async Task<SequencePrefillResult> PrefillAsync(Guid request, SequencePrefillInput input, CancellationToken cancellation)
    {
        var (model, executor, topology) = (shard.Model, shard.Executor, shard.Topology);
        return await ForRequest(request, async () =>
        {
            var state = await Admit(request, input.Capacity);
            var exchange = new GrainKvExchange(grains, request, topology.StageShards, localSilo, executor,
                _mailbox, model.Device, kvPieceBytes);
            var prefill = new SequencePrefill(model, state.Cache, topology.Rank, topology.StageShards.Length, exchange,
                new ExecutorRunner(executor));
            var x = await prefill.RunAsync(input.Ids.Select(i => (long)i).ToArray(), input.Positions,
                input.Algorithm.ToEngine());
            var holdsLast = input.Positions.Length > 0 && input.Positions[^1] == input.LastPosition;
            var token = await executor.RunAsync(() =>
            {
                using (x) return holdsLast ? Draw(model, x.narrow(0, x.shape[0] - 1, 1), input.Sample) : -1;
            }, cancellation);
            return new SequencePrefillResult(token, prefill.Busy.TotalMilliseconds, input.Ids.Length, exchange.Messages, exchange.Bytes);
        });
    }

    public void ReceiveKv(Guid request, int layer, int step, KvPiece piece) => _mailbox.Add(request, layer, step, piece);

    public async Task<int> DecodeAsync(Guid request, int tokenId, long position, TokenDraw sample)
    {
        var (model, executor, topology) = (shard.Model, shard.Executor, shard.Topology);
        return await ForRequest(request, async () =>
        {
            var state = await Admit(request, 0);
            var others = topology.StageShards.Where((_, i) => i != topology.Rank)
                .Select(k => grains.GetGrain<IShardGrain>(k)).ToList();
            var logits = await SequenceDecode.StepAsync(model, state.Cache, tokenId, position, async (layer, q) =>
            {
                var query = await executor.RunAsync(() => TensorWire.ToBytes(q));
                var answers = await Task.WhenAll(others.Select(o => o.AttendAsync(request, layer, position, query)));
                return await executor.RunAsync(() => (IReadOnlyList<PartialAttention>)answers
                    .Select(a => new PartialAttention(TensorWire.FromBytes(a[0], model.Device), TensorWire.FromBytes(a[1], model.Device)))
                    .ToList());
            }, new ExecutorRunner(executor));
            return await executor.RunAsync(() => { using (logits) return Draw(logits, sample); });
        });
    }

    public async Task<TensorBytes[]> AttendAsync(Guid request, int layer, long position, TensorBytes query)
    {
        var (model, executor) = (shard.Model, shard.Executor);
        var state = await Admit(request, 0);
        try
        {
            return await executor.RunAsync(() =>
            {
                using var scope = NewDisposeScope();
                var q = TensorWire.FromBytes(query, model.Device);
                using var part = SequenceDecode.Attend(model, layer, state.Cache[layer], q, position);
                return new[] { TensorWire.ToBytes(part.Output), TensorWire.ToBytes(part.Lse) };
            });
        }
        catch (Exception e) when (e is not OlmException && !_requests.ContainsKey(request))
        {
            throw ReleasedUnder(request, e);
        }
    }

    private OlmException ReleasedUnder(Guid request, Exception e)
    {
        LogTranslated(log, shard.Key, e);
        return new OlmException($"request {request} was released on shard {shard.Key} while a step ran", OlmErrorKind.Unavailable);
    }

    /// <summary>The request's state here; a step with a capacity starts it, reserving its KV cache or refusing.</summary>
    private async Task<RequestState> Admit(Guid request, int capacity)
    {
        var (model, executor, ledger) = (shard.Model, shard.Executor, shard.Ledger);
        if (capacity <= 0)
            return _requests.TryGetValue(request, out var existing) ? existing
                // Unavailable: the usual cause is the shard unloaded under the request (its deployment re-planned).
                : throw new OlmException($"request {request} has no KV cache on shard {shard.Key} (released, or never started)", OlmErrorKind.Unavailable);
        if (_requests.TryGetValue(request, out var started)) return started;
        var bytes = model.CacheBytes(capacity);
        if (!ledger.TryReserve(bytes))
            throw new OlmException(
                $"KV cache full on shard {shard.Key}: this request needs {Mb(bytes)}, {Mb(ledger.FreeBytes)} of {Mb(ledger.BudgetBytes)} free; retry later or shorten it",
                OlmErrorKind.Busy);
        try
        {
            var cache = await executor.RunAsync(() => model.NewCache(capacity));
            return _requests[request] = new RequestState(cache, bytes);
        }
        catch
        {
            ledger.Release(bytes);
            throw;
        }
    }

    /// <summary>Frees a request's cache and fails the KV blocks it still waits for; unknown requests are ignored.</summary>
    public async Task ReleaseAsync(Guid request)
    {
        _mailbox.Drop(request);
        if (!_requests.Remove(request, out var state)) return;
        // Through the executor: a step of this request may still be running there, and runs to completion first.
        await shard.Executor.RunAsync(state.Cache.Dispose);
        shard.Ledger.Release(state.Bytes);
    }

    /// <summary>The shard unloads: every request's cache goes.</summary>
    public async Task ReleaseAllAsync()
    {
        foreach (var id in _requests.Keys.ToList()) await ReleaseAsync(id);
    }

    /// <summary>
    /// A request's work on this shard. If it fails, the request's KV cache here is released and the error goes back as
    /// the engine's one-line reason (the original, with its stack, logged at Debug) or rethrown as it was. A step whose
    /// cache was released under it (the shard unloading for a new plan while the step awaited a peer that died) fails as
    /// unavailable, as a step arriving after the release does, so the request recovers instead of failing on a freed
    /// tensor.
    /// </summary>
    private async Task<T> ForRequest<T>(Guid request, Func<Task<T>> work)
    {
        var admitted = _requests.ContainsKey(request);
        try
        {
            return await work();
        }
        catch (Exception e)
        {
            var releasedUnder = admitted && !_requests.ContainsKey(request) && e is not OlmException;
            await ReleaseAsync(request);
            if (releasedUnder) throw ReleasedUnder(request, e);
            if (EngineErrors.Translated(e) is not { } reason) throw;
            LogTranslated(log, shard.Key, e);
            throw reason;
        }
    }

    /// <summary>The next token from the last position's hidden state (or logits) [1, ·], drawn on this device.</summary>
    private static int Draw(ShardModel model, Tensor last, TokenDraw sample)
    {
        using var logits = model.Logits(last);
        return Engine.Generation.TokenSampler.Sample(logits, [sample.ToEngine()])[0];
    }

    /// <summary>The next token from logits [V].</summary>
    private static int Draw(Tensor logits, TokenDraw sample)
    {
        using var row = logits.unsqueeze(0);
        return Engine.Generation.TokenSampler.Sample(row, [sample.ToEngine()])[0];
    }

    private static string Mb(long bytes) => $"{bytes / (1 << 20)} MiB";

    [LoggerMessage(Level = LogLevel.Debug, Message = "shard {Key}: a request failed")]
    private static partial void LogTranslated(ILogger logger, string key, Exception error);
}
