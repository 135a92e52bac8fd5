using System.CommandLine;
using OrleansLlm.Client.Connection;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>
/// What a cluster command does first: connect, then find the model serving there or deploy it, showing shard progress.
/// A copy that a command deployed on a running cluster for itself alone is undeployed when the command ends, however it
/// ends (Ctrl+C included), so it never lingers beside the deployments the cluster serves.
/// </summary>
internal sealed class Session : IAsyncDisposable
{
    private readonly ClusterConnection _connection;
    private readonly bool _embedded;
    private string? _ownCopy;

    private Session(ClusterConnection connection, bool embedded) => (_connection, _embedded) = (connection, embedded);

    public IClusterClient Client => _connection.Client;

    public static async Task<Session> OpenAsync(CommonOptions o, ParseResult r, CancellationToken ct) =>
        new(await ClusterConnection.ConnectAsync(r.GetValue(o.Gateway), o.Connection.Access(r, r.GetValue(o.ClusterId)!, r.GetValue(o.Gateway)),
            r.GetValue(o.Silos), r.GetValue(o.Device)!, ct, r.GetValue(o.MemoryGb)), o.Connection.Embedded(r, r.GetValue(o.Gateway)));

    /// <summary>Deploys the spec under <paramref name="name"/> (default: a name derived from the spec), or finds it there.</summary>
    public async Task<DeploymentInfo> DeployAsync(DeploySpec spec, bool quiet, string? name = null)
    {
        var id = name ?? spec.DefaultId();
        var grain = Client.GetGrain<IDeploymentGrain>(id);
        if (await grain.GetAsync() is { State: DeploymentState.Ready } ready && ready.Spec.SameAs(spec)) return ready;
        return await DeployProgress.RunAsync(Client, id, () => grain.DeployAsync(spec), quiet);
    }

    /// <summary>
    /// The deployment a one-off command (generate, chat, perplexity) runs on: on a running cluster, one that serves the
    /// same model folder (any plan, unless <paramref name="planGiven"/>: then the same plan); else a copy of its own,
    /// said so, and undeployed when the session ends. An embedded cluster ends with the command anyway.
    /// </summary>
    public async Task<DeploymentInfo> UseAsync(DeploySpec spec, bool planGiven, bool quiet)
    {
        if (_embedded) return await DeployAsync(spec, quiet);
        if (await ServingAsync(spec, planGiven) is { } serving) return serving;
        var id = spec.DefaultId();
        Console.Error.WriteLine($"olm: no deployment serves {ModelName.Short(spec.Model)} on this cluster with this plan: " +
                                $"deploying '{id}' for this command, undeployed when it ends (`olm deploy` makes one that stays)");
        _ownCopy = id;
        return await DeployAsync(spec, quiet);
    }

    private async Task<DeploymentInfo?> ServingAsync(DeploySpec spec, bool planGiven)
    {
        var ids = await Client.GetGrain<IDeploymentDirectoryGrain>(0).ListAsync();
        var infos = await Task.WhenAll(ids.Select(id => Client.GetGrain<IDeploymentGrain>(id).GetAsync()));
        var ready = infos.OfType<DeploymentInfo>().Where(d => d.State == DeploymentState.Ready && d.Spec.Model == spec.Model).ToList();
        // The command's own plan first (a lasting `olm deploy` of it), then, unless the plan was asked for, any plan.
        return ready.FirstOrDefault(d => d.Spec.SameAs(spec)) ?? (planGiven ? null : ready.OrderBy(d => d.Id, StringComparer.Ordinal).FirstOrDefault());
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownCopy is { } id)
        {
            // Not the command's token: Ctrl+C has cancelled that one, and the copy must go all the same.
            try { await Client.GetGrain<IDeploymentGrain>(id).UndeployAsync().WaitAsync(TimeSpan.FromSeconds(30)); }
            catch (Exception e) { Console.Error.WriteLine($"olm: could not undeploy '{id}' ({e.Message.Split('\n')[0]}); `olm undeploy {id}` does it"); }
        }
        await _connection.DisposeAsync();
    }
}
