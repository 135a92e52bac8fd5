namespace OrleansLlm.Grains.Compute;

/// <summary>
/// Whether a failure may be the loss of a silo (a dead connection, a timed-out or rejected call, a shard unloaded under a
/// request) rather than the request's or the engine's own error, which is an <see cref="OlmException"/> with its reason.
/// Such a failure is worth waiting out: the deployment may be planned again on the other silos.
/// </summary>
public static class ShardLoss
{
    public static bool Is(Exception e) => e switch
    {
        OlmException olm => olm.Kind == OlmErrorKind.Unavailable,
        OperationCanceledException => false,
        _ => EngineErrors.Translated(e) is null,
    };
}
