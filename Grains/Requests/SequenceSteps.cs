using System.Collections.Concurrent;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;
using Partitioner = OrleansLlm.Engine.Sequence.Partitioner;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// A request on a sequence-parallel deployment: the prompt is partitioned (ring blocks, stripes, or KV-Runahead's
/// uneven blocks), every shard prefills its part while passing KV to the others, and decode steps go to the shard
/// holding the fewest tokens, which keeps the new token's KV and gathers partial attention from the rest.
/// </summary>
internal sealed class SequenceSteps(IGrainFactory grains, DeploymentInfo deployment, Guid request, int maxNewTokens)
    : IRequestSteps
{
    public StepTimings DecodeTimings => StepTimings.Zero;
    public int DecodeSteps => 0;
    public (double[] BusyMs, int[] Tokens)? PrefillShares =>
        (PrefillResults.Select(r => r.BusyMs).ToArray(), PrefillResults.Select(r => r.Tokens).ToArray());

    /// <summary>Measured (tokens, tokens before, busy seconds) of Runahead shards, per deployment, to fit the cost model.</summary>
    private static readonly ConcurrentDictionary<string, List<(long, long, double)>> Measurements = new();

    /// <summary>Chosen Runahead partitions per (deployment, prompt length) until the cost model is refitted.</summary>
    private static readonly ConcurrentDictionary<(string, int, int), long[][]> Partitions = new();

    private readonly IShardGrain[] _shards = deployment.Shards.OrderBy(s => s.Rank).Select(s => grains.GetGrain<IShardGrain>(s.GrainKey)).ToArray();
    private readonly long[] _tokens = new long[deployment.Shards.Length];
    private long _position;

    public SequencePrefillResult[] PrefillResults { get; private set; } = [];

    private SequenceStrategy Strategy => SequenceStrategies.Parse(deployment.Spec.Prefill);

    public async ValueTask<Tensor> PrefillAsync(IReadOnlyList<int> promptIds, CancellationToken cancellation)
    {
        var parts = Partition(promptIds.Count);
        var last = promptIds.Count - 1;
        PrefillResults = await Task.WhenAll(_shards.Select((shard, i) => shard.SequencePrefillAsync(request,
            new SequencePrefillInput(parts[i].Select(p => promptIds[(int)p]).ToArray(), parts[i],
                parts[i].Length + maxNewTokens + 1, deployment.Spec.Prefill ?? "ring", last), cancellation)));
        for (var i = 0; i < _shards.Length; i++) _tokens[i] = parts[i].Length;
        _position = promptIds.Count;
        if (Strategy == SequenceStrategy.Runahead) Record(parts);
        return TensorWire.FromBytes(PrefillResults.First(r => r.Logits is not null).Logits!);
    }

    public async ValueTask<Tensor> DecodeAsync(int tokenId, CancellationToken cancellation)
    {
        var owner = Array.IndexOf(_tokens, _tokens.Min());
        var logits = await _shards[owner].SequenceDecodeAsync(request, tokenId, _position, cancellation);
        _tokens[owner]++;
        _position++;
        return TensorWire.FromBytes(logits);
    }

    public Task ReleaseAsync() => Task.WhenAll(_shards.Select(s => s.ReleaseAsync(request)));

    private long[][] Partition(int length)
    {
        var n = _shards.Length;
        if (Strategy != SequenceStrategy.Runahead) return Partitioner.Positions(length, n, Strategy);
        return Partitions.GetOrAdd((deployment.Id, length, n), _ => Partitioner.Positions(length, n, Strategy, CostModel()));
    }

    /// <summary>Fitted to this deployment's measured shard times once there are enough of them; from the shape before.</summary>
    private RunaheadCostModel CostModel()
    {
        var samples = Measurements.GetOrAdd(deployment.Id, _ => []);
        lock (samples)
        {
            if (samples.Count >= 2)
                try { return RunaheadCostModel.Fit(samples); } catch (ArgumentException) { } // not yet determined
        }
        return RunaheadCostModel.FromShape(ModelSource.Config(deployment.Spec.Model));
    }

    private void Record(long[][] parts)
    {
        var samples = Measurements.GetOrAdd(deployment.Id, _ => []);
        long before = 0;
        lock (samples)
            for (var i = 0; i < parts.Length; i++)
            {
                samples.Add((parts[i].Length, before, PrefillResults[i].BusyMs / 1000));
                before += parts[i].Length;
            }
        // Refit while measurements are few (after 1, 2, 4, 8, 16 prefills); after that the cached partitions stand.
        var prefills = samples.Count / parts.Length;
        if (prefills <= 16 && (prefills & (prefills - 1)) == 0)
            foreach (var key in Partitions.Keys.Where(k => k.Item1 == deployment.Id)) Partitions.TryRemove(key, out _);
    }
}
