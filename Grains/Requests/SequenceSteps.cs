using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using Partitioner = OrleansLlm.Engine.Sequence.Partitioner;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// A request on a sequence-parallel deployment: the prompt is partitioned (ring blocks, stripes, or KV-Runahead's
/// uneven blocks, which the deployment fits to its shards' measured times), every shard prefills its part while
/// passing KV to the others, and decode steps go to the shard holding the fewest tokens, which keeps the new token's
/// KV and gathers partial attention from the rest.
/// </summary>
internal sealed class SequenceSteps(IGrainFactory grains, DeploymentInfo deployment, Guid request, int maxNewTokens)
    : IRequestSteps
{
    private readonly IShardGrain[] _shards = deployment.Shards.OrderBy(s => s.Rank).Select(s => grains.GetGrain<IShardGrain>(s.GrainKey)).ToArray();
    private readonly long[] _held = new long[deployment.Shards.Length];
    private readonly PrefillAlgorithm _algorithm = deployment.Spec.Prefill ?? PrefillAlgorithm.Ring;
    private readonly List<int> _tokens = [];
    private long _position;

    public StepTimings DecodeTimings => StepTimings.Zero;
    public int DecodeSteps => 0;
    public long DecodeBatchRows => 0;
    public (double[] BusyMs, int[] Tokens)? PrefillShares =>
        (PrefillResults.Select(r => r.BusyMs).ToArray(), PrefillResults.Select(r => r.Tokens).ToArray());

    public SequencePrefillResult[] PrefillResults { get; private set; } = [];

    private IDeploymentGrain Deployment => grains.GetGrain<IDeploymentGrain>(deployment.Id);

    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, TokenPlan plan,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        var draws = new Sampler(plan.Sampling, plan.SkipDraws);
        var token = await PrefillAsync(promptIds, draws.NextRow(), cancellation);
        for (var produced = 1; ; produced++)
        {
            yield return token;
            if (plan.Ends(token, produced)) yield break;
            token = await DecodeAsync(token, draws.NextRow(), cancellation);
        }
    }

    private async Task<int> PrefillAsync(IReadOnlyList<int> promptIds, SampleRow next, CancellationToken cancellation)
    {
        _tokens.AddRange(promptIds);
        var sample = Sample(next);
        var runahead = _algorithm == PrefillAlgorithm.Runahead ? await Deployment.RunaheadSizesAsync(promptIds.Count) : null;
        var parts = runahead is null
            ? Partitioner.Positions(promptIds.Count, _shards.Length, _algorithm.ToEngine())
            : Partitioner.Contiguous(runahead);
        var last = promptIds.Count - 1;
        PrefillResults = await Task.WhenAll(_shards.Select((shard, i) => shard.SequencePrefillAsync(request,
            new SequencePrefillInput(parts[i].Select(p => promptIds[(int)p]).ToArray(), parts[i],
                parts[i].Length + maxNewTokens + 1, _algorithm, last, sample), cancellation)));
        for (var i = 0; i < _shards.Length; i++) _held[i] = parts[i].Length;
        _position = promptIds.Count;
        if (runahead is not null) await Deployment.RecordRunaheadAsync(runahead, PrefillResults.Select(r => r.BusyMs / 1000).ToArray());
        return PrefillResults.First(r => r.Token >= 0).Token;
    }

    private async Task<int> DecodeAsync(int tokenId, SampleRow next, CancellationToken cancellation)
    {
        _tokens.Add(tokenId);
        var owner = Array.IndexOf(_held, _held.Min());
        var token = await _shards[owner].SequenceDecodeAsync(request, tokenId, _position, Sample(next), cancellation);
        _held[owner]++;
        _position++;
        return token;
    }

    /// <summary>The draw, with the sequence so far when the repetition penalty needs it (no shard knows it all).</summary>
    private TokenDraw Sample(SampleRow next) =>
        (next.Options.RepetitionPenalty == 1 ? next : next with { History = _tokens.Distinct().ToArray() }).ToWire();

    public Task ReleaseAsync() => Task.WhenAll(_shards.Select(s => s.ReleaseAsync(request)));
}
