using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// A request on a batched deployment: every step goes to the deployment's entry shard, which runs it in whatever batch
/// forms next (with other requests' steps) and answers with the next token. The entry knows the request's tokens, so
/// the steps carry only the new token and the draw for the one after it.
/// </summary>
internal sealed class DeploymentSteps(IGrainFactory grains, DeploymentInfo deployment, Guid request, int maxTokens)
    : IRequestSteps
{
    private readonly IShardGrain _entry = grains.GetGrain<IShardGrain>(deployment.Entry.GrainKey);

    public StepTimings DecodeTimings { get; private set; } = StepTimings.Zero;
    public int DecodeSteps { get; private set; }
    public long DecodeBatchRows { get; private set; }
    public (double[] BusyMs, int[] Tokens)? PrefillShares => null;

    public async ValueTask<int> PrefillAsync(IReadOnlyList<int> promptIds, SampleRow next, CancellationToken cancellation)
    {
        var step = await _entry.StartAsync(request, new SequenceStart([.. promptIds], maxTokens, next.ToWire()), cancellation);
        return step.Token;
    }

    public async ValueTask<int> DecodeAsync(int tokenId, SampleRow next, CancellationToken cancellation)
    {
        var step = await _entry.ContinueAsync(request, tokenId, next.ToWire(), cancellation);
        DecodeTimings = DecodeTimings.Add(step.Timings);
        DecodeSteps++;
        DecodeBatchRows += step.BatchRows;
        return step.Token;
    }

    /// <summary>Sum of −log p(ids[i+1] | ids[..i]) over the sequence.</summary>
    public Task<double> NegativeLogLikelihoodAsync(int[] ids, CancellationToken cancellation) =>
        _entry.ScoreAsync(request, ids, cancellation);

    /// <summary>Frees the request's KV blocks on the entry (no other shard keeps state per request).</summary>
    public Task ReleaseAsync() => _entry.ReleaseAsync(request);
}
