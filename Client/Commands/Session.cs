using System.CommandLine;
using OrleansLlm.Client.Connection;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>What a cluster command does first: connect, and deploy (or find) the model, showing shard progress.</summary>
internal sealed class Session : IAsyncDisposable
{
    private readonly ClusterConnection _connection;

    private Session(ClusterConnection connection) => _connection = connection;

    public IClusterClient Client => _connection.Client;

    public static async Task<Session> OpenAsync(CommonOptions o, ParseResult r, CancellationToken ct) =>
        new(await ClusterConnection.ConnectAsync(r.GetValue(o.Gateway), o.Connection.Access(r, r.GetValue(o.ClusterId)!, r.GetValue(o.Gateway)),
            r.GetValue(o.Silos), r.GetValue(o.Device)!, ct, r.GetValue(o.MemoryGb)));

    /// <summary>Deploys the spec under <paramref name="name"/> (default: a name derived from the spec), or finds it there.</summary>
    public async Task<DeploymentInfo> DeployAsync(DeploySpec spec, bool quiet, string? name = null)
    {
        var id = name ?? spec.DefaultId();
        var grain = Client.GetGrain<IDeploymentGrain>(id);
        if (await grain.GetAsync() is { State: DeploymentState.Ready } ready && ready.Spec.SameAs(spec)) return ready;
        return await DeployProgress.RunAsync(Client, id, () => grain.DeployAsync(spec), quiet);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
