namespace OrleansLlm.Grains.Interfaces;

/// <summary>Where a deployment stands.</summary>
[GenerateSerializer, Alias("olm.DeploymentState")]
public enum DeploymentState
{
    [Names("loading")] Loading,
    [Names("ready")] Ready,
    [Names("failed")] Failed,
}
