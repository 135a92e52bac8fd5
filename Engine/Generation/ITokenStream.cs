namespace OrleansLlm.Engine.Generation;

/// <summary>
/// Where a request's tokens come from: one sequence in-process, or a deployment of shard grains whose entry runs the
/// decode loop beside other requests' (so no token waits for a round trip before the next step). The stream yields the
/// generated tokens and ends after the plan's last; the consumer may stop earlier (a stop string) by ending the enumeration.
/// </summary>
public interface ITokenStream
{
    IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, TokenPlan plan, CancellationToken cancellation);
}
