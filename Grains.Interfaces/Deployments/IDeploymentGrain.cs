namespace OrleansLlm.Grains.Interfaces;

/// <summary>A deployed model: its plan (which shard holds what, where) and its state. Keyed by deployment id.</summary>
[Alias("olm.IDeploymentGrain")]
public interface IDeploymentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Plans and loads the deployment; a plan that cannot fit is refused before any weight is loaded. Deploying the same
    /// spec again returns the existing deployment.
    /// </summary>
    [ResponseTimeout("00:30:00"), Alias("Deploy")]
    Task<DeploymentInfo> DeployAsync(DeploySpec spec);

    /// <summary>The deployment, or null when nothing is deployed under this id.</summary>
    [AlwaysInterleave, Alias("Get")]
    Task<DeploymentInfo?> GetAsync();

    [Alias("Undeploy")]
    Task UndeployAsync();

    /// <summary>
    /// A silo holding shards died: the deployment is re-planned and loaded on the surviving silos (state recovering,
    /// then ready on a new epoch), or fails with the reason where it no longer fits.
    /// </summary>
    [AlwaysInterleave, Alias("SiloDied")]
    Task SiloDiedAsync(string silo);

    /// <summary>
    /// A silo is stopping: the deployment moves its shards off it as after a loss (requests resume elsewhere); returns
    /// once the deployment serves without it (or could not).
    /// </summary>
    [AlwaysInterleave, ResponseTimeout("00:10:00"), Alias("Drain")]
    Task DrainAsync(string silo);

    /// <summary>KV-Runahead's block sizes for a prompt of this length, from the cost model fitted to this deployment.</summary>
    [AlwaysInterleave, Alias("RunaheadSizes")]
    Task<int[]> RunaheadSizesAsync(int promptLength);

    /// <summary>A Runahead prefill's measured busy seconds per shard, for the sizes it ran with.</summary>
    [AlwaysInterleave, Alias("RecordRunahead")]
    Task RecordRunaheadAsync(int[] sizes, double[] busySeconds);
}
