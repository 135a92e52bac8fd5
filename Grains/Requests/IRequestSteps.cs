using OrleansLlm.Engine.Generation;

namespace OrleansLlm.Grains.Requests;

/// <summary>A request's forward passes over a deployment, whatever its strategy, and their release.</summary>
internal interface IRequestSteps : ILogitsSource
{
    StepTimings DecodeTimings { get; }
    int DecodeSteps { get; }

    /// <summary>Per shard: time busy computing the prefill and tokens it held (sequence parallel; null otherwise).</summary>
    (double[] BusyMs, int[] Tokens)? PrefillShares { get; }

    /// <summary>Frees the request's KV cache on every shard; safe after a failure and when called twice.</summary>
    Task ReleaseAsync();
}
