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
            r.GetValue(o.Silos), r.GetValue(o.Device)!, ct));

    public async Task<DeploymentInfo> DeployAsync(DeploySpec spec, bool quiet)
    {
        var grain = Client.GetGrain<IDeploymentGrain>(spec.DefaultId());
        if (await grain.GetAsync() is { State: DeploymentState.Ready } ready && ready.Spec.SameAs(spec)) return ready;
        return await DeployProgress.RunAsync(Client, spec.DefaultId(), () => grain.DeployAsync(spec), quiet);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
