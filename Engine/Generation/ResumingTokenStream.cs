using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace OrleansLlm.Engine.Generation;

/// <summary>
/// A token stream that survives losing the shards it runs on (Petals' answer to a lost server): when the stream fails
/// and the recovery says the part is rebuilt, it asks the new stream for the rest, with the prompt plus the tokens
/// already produced as the prompt (its prefill rebuilds the lost KV cache), the tokens still to make, and the draws
/// already used skipped. Its consumer sees one stream that only paused: no token twice or missing, and greedy output
/// (or seeded sampling) identical to an undisturbed run.
/// </summary>
public sealed class ResumingTokenStream(IStreamRecovery recovery, int maxRecoveries = 3) : ITokenStream
{
    private static readonly TimeSpan FailedCleanup = TimeSpan.FromSeconds(5);

    /// <summary>Times the stream was resumed.</summary>
    public int Recoveries { get; private set; }

    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, TokenPlan plan,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        var produced = new List<int>();
        while (true)
        {
            var rest = plan with { MaxNewTokens = plan.MaxNewTokens - produced.Count, SkipDraws = plan.SkipDraws + produced.Count };
            var tokens = recovery.Current.GenerateAsync([.. promptIds, .. produced], rest, cancellation).GetAsyncEnumerator(cancellation);
            Exception? failure = null;
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await tokens.MoveNextAsync()) yield break;
                    }
                    catch (Exception e) when (!cancellation.IsCancellationRequested && Recoveries < maxRecoveries)
                    {
                        failure = e;
                        break;
                    }
                    produced.Add(tokens.Current);
                    yield return tokens.Current;
                }
            }
            finally
            {
                // A failed stream's cleanup may fail too, or wait on what was lost: it gets a few seconds.
                if (failure is null) await tokens.DisposeAsync();
                else
                    try { await tokens.DisposeAsync().AsTask().WaitAsync(FailedCleanup, CancellationToken.None); }
                    catch (Exception) { }
            }
            if (!await recovery.RecoverAsync(failure, cancellation)) ExceptionDispatchInfo.Throw(failure);
            Recoveries++;
        }
    }
}
