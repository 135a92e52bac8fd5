namespace OrleansLlm.Grains.Interfaces;

/// <summary>Names silos and clients must agree on to form one cluster.</summary>
public static class ClusterNames
{
    /// <summary>Orleans' service id of every OrleansLlm cluster (the cluster id tells clusters apart).</summary>
    public const string ServiceId = "orleans-llm";

    /// <summary>
    /// How long a call may wait for its answer, silos and clients alike (Orleans' default is 30 s). The next token of a
    /// stream is such a call: a long prompt's prefill on CPUs, or a step queued behind a busy batch, may take longer
    /// than 30 s without anything being wrong. Calls to a silo that died fail when it is declared dead, not at this.
    /// </summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromMinutes(5);
}
