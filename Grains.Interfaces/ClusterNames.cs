namespace OrleansLlm.Grains.Interfaces;

/// <summary>Names silos and clients must agree on to form one cluster.</summary>
public static class ClusterNames
{
    /// <summary>Orleans' service id of every OrleansLlm cluster (the cluster id tells clusters apart).</summary>
    public const string ServiceId = "orleans-llm";
}
