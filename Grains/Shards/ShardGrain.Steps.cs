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
    private static readonly TensorBytes NoOutput = new([0], "Float32", []);

    public async Task<StepResult> StepAsync(Guid request, StepInput input, CancellationToken cancellation)
    {
        var (model, executor, topology) = Loaded();
        if (topology.Rank != 0) throw new OlmException($"shard {Key} is not its stage's master");
        return await ForRequest(request, async () =>
        {
            var state = await Admit(request, input.Capacity);
            var peerCalls = topology.StageShards.Skip(1)
                .Select(k => GrainFactory.GetGrain<IShardGrain>(k).PeerStepAsync(request, input, cancellation)).ToList();
            var (x, timings) = await RunLayers(request, state, input, cancellation);
            if (topology.NextStage is null) return await Answer(x, timings, input, peerCalls, cancellation);
            timings = Traffic(timings, await Task.WhenAll(peerCalls));
            var hidden = await executor.RunAsync(() => { using (x) return StageCompute.Hidden(x); }, cancellation);
            var next = await GrainFactory.GetGrain<IShardGrain>(topology.NextStage)
                .StepAsync(request, new StepInput(null, hidden, input.Capacity, input.Targets), cancellation);
            return new StepResult(next.Output, timings.Add(next.Timings) with
            {
                Messages = timings.Messages + next.Timings.Messages + 2,
                Bytes = timings.Bytes + next.Timings.Bytes + hidden.ByteCount,
            });
        });
    }

    /// <summary>The last stage's answer: its own head, or every rank's vocabulary slice combined.</summary>
    private async Task<StepResult> Answer(Tensor x, StepTimings timings, StepInput input, List<Task<StepResult>> peerCalls,
        CancellationToken cancellation)
    {
        var (model, executor, _) = Loaded();
        var clock = Stopwatch.StartNew();
        var mine = await executor.RunAsync(() =>
        {
            using (x) return peerCalls.Count == 0 ? StageCompute.Output(model, x, input.Targets) : StageCompute.HeadPartial(model, x, input.Targets);
        }, cancellation);
        var peers = await Task.WhenAll(peerCalls);
        var output = peers.Length == 0 ? mine : await executor.RunAsync(() =>
            StageCompute.CombineHeads([mine, .. peers.Select(p => p.Output)], input.Targets is not null), cancellation);
        timings = Traffic(timings, peers) with { ComputeMs = timings.ComputeMs + clock.Elapsed.TotalMilliseconds };
        return new StepResult(output, timings with { Bytes = timings.Bytes + peers.Sum(p => p.Output.ByteCount) });
    }

    /// <summary>The master's compute and waiting stand for the stage (peers run alongside); peers' traffic adds up.</summary>
    private static StepTimings Traffic(StepTimings master, StepResult[] peers) => master with
    {
        Messages = master.Messages + peers.Sum(p => p.Timings.Messages) + 2 * peers.Length,
        Bytes = master.Bytes + peers.Sum(p => p.Timings.Bytes),
    };

    public async Task<StepResult> PeerStepAsync(Guid request, StepInput input, CancellationToken cancellation)
    {
        var (model, executor, _) = Loaded();
        return await ForRequest(request, async () =>
        {
            var state = await Admit(request, input.Capacity);
            var (x, timings) = await RunLayers(request, state, input, cancellation);
            var output = await executor.RunAsync(() =>
            {
                using (x) return model.Slice.HasHead ? StageCompute.HeadPartial(model, x, input.Targets) : NoOutput;
            }, cancellation);
            return new StepResult(output, timings);
        });
    }

    /// <summary>Runs this shard's layers for a step; returns the hidden states and where the time went.</summary>
    private async Task<(Tensor, StepTimings)> RunLayers(Guid request, RequestState state, StepInput input, CancellationToken ct)
    {
        var (model, executor, topology) = Loaded();
        var clock = Stopwatch.StartNew();
        if (topology.StageShards.Length == 1)
        {
            var whole = await executor.RunAsync(() => StageCompute.WholeLayers(model, state, StageCompute.Input(model, input)), ct);
            return (whole, new StepTimings(clock.Elapsed.TotalMilliseconds, 0, 0, 0));
        }
        var (computeMs, waitMs, messages, bytes) = (0.0, 0.0, 0, 0L);
        var step = new TensorParallelStep(model, state);
        try
        {
            TensorBytes? total = null;
            for (var k = 0; k < step.Operations; k++)
            {
                var (op, previous) = (k, total);
                clock.Restart();
                var partial = await executor.RunAsync(() => step.Advance(input, op, previous), ct);
                computeMs += clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                (total, var sent, var sentBytes) = await AllReduce(request, state, partial);
                waitMs += clock.Elapsed.TotalMilliseconds;
                (messages, bytes) = (messages + sent, bytes + sentBytes);
            }
            clock.Restart();
            var x = await executor.RunAsync(() => step.Finish(total!), ct);
            computeMs += clock.Elapsed.TotalMilliseconds;
            return (x, new StepTimings(computeMs, waitMs, messages, bytes));
        }
        finally
        {
            await executor.RunAsync(step.Dispose);
        }
    }
}
