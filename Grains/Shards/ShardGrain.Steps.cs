using System.Diagnostics;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>
/// A request's steps through this shard: the stage master runs its layers (driving tensor-parallel peers through
/// all-reduces), then hands the hidden states to the next stage's master, grain to grain; the last stage answers.
/// </summary>
public sealed partial class ShardGrain
{
    public async Task<StepResult> StepAsync(Guid request, StepInput input, CancellationToken cancellation)
    {
        var (model, executor, topology) = Loaded();
        if (topology.Rank != 0) throw new OlmException($"shard {Key} is not its stage's master");
        try
        {
            var state = await Admit(request, input.Capacity);
            var peers = topology.StageShards.Skip(1)
                .Select(k => GrainFactory.GetGrain<IShardGrain>(k).PeerStepAsync(request, input, cancellation)).ToList();
            var (x, timings) = await RunLayers(request, state, input, cancellation);
            // The master's compute and waiting stand for the stage (peers run alongside); peers' traffic adds up.
            foreach (var peer in await Task.WhenAll(peers))
                timings = timings with { Messages = timings.Messages + peer.Messages, Bytes = timings.Bytes + peer.Bytes };
            timings = timings with { Messages = timings.Messages + 2 * peers.Count };
            if (topology.NextStage is null)
            {
                var clock = Stopwatch.StartNew();
                var output = await executor.RunAsync(() => { using (x) return StageCompute.Output(model, x, input.Targets); }, cancellation);
                return new StepResult(output, timings with { ComputeMs = timings.ComputeMs + clock.Elapsed.TotalMilliseconds });
            }
            var hidden = await executor.RunAsync(() => { using (x) return StageCompute.Hidden(x); }, cancellation);
            var next = await GrainFactory.GetGrain<IShardGrain>(topology.NextStage)
                .StepAsync(request, new StepInput(null, hidden, input.Capacity, input.Targets), cancellation);
            return new StepResult(next.Output, timings.Add(next.Timings) with
            {
                Messages = timings.Messages + next.Timings.Messages + 2,
                Bytes = timings.Bytes + next.Timings.Bytes + hidden.Data.Length,
            });
        }
        catch (Exception e)
        {
            await ReleaseAsync(request);
            throw EngineErrors.Translated(e) ?? e;
        }
    }

    public async Task<StepTimings> PeerStepAsync(Guid request, StepInput input, CancellationToken cancellation)
    {
        try
        {
            var state = await Admit(request, input.Capacity);
            var (x, timings) = await RunLayers(request, state, input, cancellation);
            x.Dispose();
            return timings;
        }
        catch (Exception e)
        {
            await ReleaseAsync(request);
            throw EngineErrors.Translated(e) ?? e;
        }
    }

    /// <summary>Runs this shard's layers for a step; returns the hidden states and where the time went.</summary>
    private async Task<(Tensor, StepTimings)> RunLayers(Guid request, RequestState state, StepInput input, CancellationToken ct)
    {
        var (model, executor, topology) = Loaded();
        var compute = Stopwatch.StartNew();
        if (topology.StageShards.Length == 1)
        {
            var whole = await executor.RunAsync(() => StageCompute.WholeLayers(model, state, StageCompute.Input(model, input)), ct);
            return (whole, new StepTimings(compute.Elapsed.TotalMilliseconds, 0, 0, 0));
        }
        var (computeMs, waitMs, messages, bytes) = (0.0, 0.0, 0, 0L);
        var x = await executor.RunAsync(() => StageCompute.Input(model, input), ct);
        var rope = await executor.RunAsync(() => StageCompute.Rope(model, state, x.shape[0]), ct);
        try
        {
            for (var layer = 0; layer < model.Layers.Count; layer++)
                for (var half = 0; half < 2; half++)
                {
                    var (l, h, current) = (layer, half, x);
                    compute.Restart();
                    var partial = await executor.RunAsync(() => h == 0
                        ? StageCompute.AttentionPartial(model, state, l, current, rope)
                        : StageCompute.MlpPartial(model, l, current), ct);
                    computeMs += compute.Elapsed.TotalMilliseconds;
                    var wait = Stopwatch.StartNew();
                    var (sum, sent, sentBytes) = await AllReduce(request, state, partial);
                    waitMs += wait.Elapsed.TotalMilliseconds;
                    (messages, bytes) = (messages + sent, bytes + sentBytes);
                    compute.Restart();
                    x = await executor.RunAsync(() => StageCompute.AddSum(model, current, sum), ct);
                    computeMs += compute.Elapsed.TotalMilliseconds;
                }
        }
        finally
        {
            await executor.RunAsync(() => { rope.Cos.Dispose(); rope.Sin.Dispose(); rope.Positions.Dispose(); });
        }
        return (x, new StepTimings(computeMs, waitMs, messages, bytes));
    }

    /// <summary>The request's state here; a step with a capacity starts it, reserving its KV cache or refusing.</summary>
    private async Task<RequestState> Admit(Guid request, int capacity)
    {
        var (model, executor, _) = Loaded();
        if (capacity <= 0)
            return _requests.TryGetValue(request, out var existing) ? existing
                : throw new OlmException($"request {request} has no KV cache on shard {Key} (released, or never started)");
        if (_requests.TryGetValue(request, out var started)) return started;
        var bytes = model.CacheBytes(capacity);
        if (!_ledger!.TryReserve(bytes))
            throw new OlmException(
                $"KV cache full on shard {Key}: this request needs {Mb(bytes)}, {Mb(_ledger.FreeBytes)} of {Mb(_ledger.BudgetBytes)} free; retry later or shorten it");
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
        _allReduce.Drop(request);
        if (!_requests.Remove(request, out var state)) return;
        // Through the executor: a step of this request may still be running there, and runs to completion first.
        await _executor!.RunAsync(state.Cache.Dispose);
        _ledger!.Release(state.Bytes);
    }

    private (ShardModel, DeviceExecutor, ShardTopology) Loaded() =>
        _model is { } m && _executor is { } e && _spec is { } s ? (m, e, s.Topology) : throw new OlmException($"shard {Key} is not loaded");
}
