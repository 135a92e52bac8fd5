using OrleansLlm.Grains.Placement;
using OrleansLlm.Grains.Streams;

namespace OrleansLlm.Grains.Deployments;

/// <summary>The cluster's list of deployment ids, kept in control storage so it outlives the silo it runs on.</summary>
[ControlPlacement, CollectionAgeLimit(AlwaysActive = true)]
public sealed class DeploymentDirectoryGrain(
    [PersistentState("directory", ControlStorage.Name)] IPersistentState<DeploymentDirectoryRecord> state) : Grain, IDeploymentDirectoryGrain
{
    private readonly SavedState<DeploymentDirectoryRecord> _saved = new(state);

    public Task AddAsync(string deploymentId) =>
        _saved.Value.Ids.Contains(deploymentId) ? Task.CompletedTask
            : _saved.SaveAsync(new DeploymentDirectoryRecord { Ids = [.. _saved.Value.Ids.Append(deploymentId).Order(StringComparer.Ordinal)] });

    public Task RemoveAsync(string deploymentId) =>
        !_saved.Value.Ids.Contains(deploymentId) ? Task.CompletedTask
            : _saved.SaveAsync(new DeploymentDirectoryRecord { Ids = _saved.Value.Ids.Where(id => id != deploymentId).ToArray() });

    public Task<string[]> ListAsync() => Task.FromResult(_saved.Value.Ids);
}
