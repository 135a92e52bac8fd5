namespace OrleansLlm.Grains.Interfaces;

/// <summary>Where a deployment stands.</summary>
[GenerateSerializer, Alias("olm.DeploymentState")]
public enum DeploymentState
{
    [Names("loading")] Loading,
    [Names("ready")] Ready,
    [Names("failed")] Failed,
    /// <summary>A silo holding shards died or is draining: the deployment is being planned and loaded again on the rest.</summary>
    [Names("recovering")] Recovering,
}
