using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// A request on a batched deployment: its decode loop runs on the deployment's entry shard, beside every other
/// request's, and its tokens stream back from there as they are drawn. The batch timings of its decode steps are summed
/// for the request's stats.
/// </summary>
internal sealed class DeploymentSteps(IGrainFactory grains, DeploymentInfo deployment, Guid request) : IRequestSteps
{
    private readonly IShardGrain _entry = grains.GetGrain<IShardGrain>(deployment.Entry.GrainKey);

    public StepTimings DecodeTimings { get; private set; } = StepTimings.Zero;
    public int DecodeSteps { get; private set; }
    public long DecodeBatchRows { get; private set; }
    public (double[] BusyMs, int[] Tokens)? PrefillShares => null;

    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, TokenPlan plan,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        var start = new SequenceStart([.. promptIds], plan.MaxNewTokens, [.. plan.EosTokenIds], plan.Sampling.ToWire(), plan.SkipDraws);
        var first = true;
        await foreach (var step in _entry.GenerateAsync(request, start, cancellation).WithCancellation(cancellation))
        {
            if (!first)
            {
                DecodeTimings = DecodeTimings.Add(step.Timings);
                DecodeSteps++;
                DecodeBatchRows += step.BatchRows;
            }
            first = false;
            yield return step.Token;
        }
    }

    /// <summary>Sum of −log p(ids[i+1] | ids[..i]) over the sequence.</summary>
    public Task<double> NegativeLogLikelihoodAsync(int[] ids, CancellationToken cancellation) =>
        _entry.ScoreAsync(request, ids, cancellation);

    /// <summary>Frees the request's KV blocks on the entry (no other shard keeps state per request).</summary>
    public Task ReleaseAsync() => _entry.ReleaseAsync(request);
}
