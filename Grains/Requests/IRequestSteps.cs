using OrleansLlm.Engine.Generation;

namespace OrleansLlm.Grains.Requests;

/// <summary>A request's forward passes over a deployment, whatever its strategy, and their release.</summary>
internal interface IRequestSteps : ITokenStream
{
    StepTimings DecodeTimings { get; }
    int DecodeSteps { get; }

    /// <summary>Rows of the batches its decode steps rode in, summed (batch size × steps).</summary>
    long DecodeBatchRows { get; }

    /// <summary>Per shard: time busy computing the prefill and tokens it held (sequence parallel; null otherwise).</summary>
    (double[] BusyMs, int[] Tokens)? PrefillShares { get; }

    /// <summary>Frees the request's KV cache; safe after a failure and when called twice.</summary>
    Task ReleaseAsync();
}
