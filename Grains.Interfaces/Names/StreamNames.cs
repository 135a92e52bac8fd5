namespace OrleansLlm.Grains.Interfaces;

/// <summary>The stream provider and namespace that deployment events travel on.</summary>
public static class StreamNames
{
    public const string Provider = "olm";
    public const string Deployments = "deployments";
}
