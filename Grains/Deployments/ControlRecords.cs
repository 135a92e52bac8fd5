namespace OrleansLlm.Grains.Deployments;

/// <summary>What a deployment grain keeps in control storage: its plan and state, so it comes back on any silo.</summary>
[GenerateSerializer, Immutable, Alias("olm.DeploymentRecord")]
public sealed record DeploymentRecord
{
    [Id(0)] public DeploymentInfo? Info { get; init; }
}

/// <summary>What the deployment directory keeps in control storage: the deployment ids, sorted.</summary>
[GenerateSerializer, Immutable, Alias("olm.DeploymentDirectoryRecord")]
public sealed record DeploymentDirectoryRecord
{
    [Id(0)] public string[] Ids { get; init; } = [];
}
