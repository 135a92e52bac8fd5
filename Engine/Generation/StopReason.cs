namespace OrleansLlm.Engine.Generation;

/// <summary>Why a generation ended.</summary>
public enum StopReason
{
    /// <summary>The token budget (max new tokens or the context window) ran out.</summary>
    Length,

    /// <summary>The model produced an end-of-sequence token.</summary>
    EndOfSequence,

    /// <summary>The output text completed one of the request's stop strings.</summary>
    StopString,
}
// Cancellation is not a stop reason: it ends the stream with OperationCanceledException and frees the KV cache.
