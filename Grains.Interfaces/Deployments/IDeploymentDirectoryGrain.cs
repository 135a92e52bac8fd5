namespace OrleansLlm.Grains.Interfaces;

/// <summary>The list of deployments in the cluster (key 0).</summary>
[Alias("olm.IDeploymentDirectoryGrain")]
public interface IDeploymentDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("Add")] Task AddAsync(string deploymentId);
    [Alias("Remove")] Task RemoveAsync(string deploymentId);
    [Alias("List")] Task<string[]> ListAsync();
}
