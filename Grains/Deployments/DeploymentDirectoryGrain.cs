using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Deployments;

/// <summary>The cluster's list of deployment ids (in memory: deployments do not outlive the cluster).</summary>
[OldestSiloPlacement, CollectionAgeLimit(AlwaysActive = true)]
public sealed class DeploymentDirectoryGrain : Grain, IDeploymentDirectoryGrain
{
    private readonly SortedSet<string> _ids = new(StringComparer.Ordinal);

    public Task AddAsync(string deploymentId)
    {
        _ids.Add(deploymentId);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string deploymentId)
    {
        _ids.Remove(deploymentId);
        return Task.CompletedTask;
    }

    public Task<string[]> ListAsync() => Task.FromResult(_ids.ToArray());
}
