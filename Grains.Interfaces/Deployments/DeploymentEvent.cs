namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// Progress and failures of a deployment's shards, published on the <see cref="StreamNames.Deployments"/> stream keyed
/// by deployment id.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.DeploymentEvent")]
public sealed record DeploymentEvent(
    [property: Id(0)] string DeploymentId,
    [property: Id(1)] int Shard,
    [property: Id(2)] DeploymentEventKind Kind,
    [property: Id(3)] double Progress,
    [property: Id(4)] string? Message = null);
