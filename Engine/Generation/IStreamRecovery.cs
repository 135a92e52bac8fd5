namespace OrleansLlm.Engine.Generation;

/// <summary>
/// How a token stream comes back after losing the shards it ran on: which failures are such a loss, and the stream to
/// continue on once the shards are rebuilt (<see cref="ResumingTokenStream"/> drives it).
/// </summary>
public interface IStreamRecovery
{
    /// <summary>The stream to ask now.</summary>
    ITokenStream Current { get; }

    /// <summary>
    /// Waits until the lost part is rebuilt and <see cref="Current"/> serves again; false where <paramref name="failure"/>
    /// was no such loss (it is then rethrown). Throws where the loss cannot be repaired, with the reason.
    /// </summary>
    Task<bool> RecoverAsync(Exception failure, CancellationToken cancellation);
}
