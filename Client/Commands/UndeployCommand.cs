using System.CommandLine;
using OrleansLlm.Client.Connection;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>olm undeploy NAME: unload a deployment from a running cluster, freeing its weights and KV caches.</summary>
internal static class UndeployCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "the deployment's id, as olm status lists it" };
        var gateway = new Option<string?>("--gateway") { Description = "HOST:PORT of a running cluster's gateway (default 127.0.0.1:30000, or the gateways --redis lists)" };
        var clusterId = new Option<string>("--cluster-id")
        {
            Description = "the cluster's id, as its silos were started with", DefaultValueFactory = _ => OrleansLlm.Switches.OlmSwitches.ClusterId.Value ?? "olm",
        };
        var command = new Command("undeploy", "Unload a deployment from a running cluster") { name, gateway, clusterId };
        var connectionOptions = new ConnectionOptions();
        connectionOptions.AddTo(command);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            var access = connectionOptions.Access(r, r.GetValue(clusterId)!, r.GetValue(gateway));
            await using var connection = await ClusterConnection.ConnectAsync(
                r.GetValue(gateway) ?? (access.Seeded ? "127.0.0.1:30000" : null), access, 1, "cpu", ct);
            var id = r.GetValue(name)!;
            var deployment = connection.Client.GetGrain<IDeploymentGrain>(id);
            if (!(await connection.Client.GetGrain<IDeploymentDirectoryGrain>(0).ListAsync()).Contains(id) || await deployment.GetAsync() is null)
                throw new OlmException($"no deployment '{id}' (olm status lists them)", OlmErrorKind.NotFound);
            await deployment.UndeployAsync();
            Console.Out.WriteLine($"undeployed {id}");
        }));
        return command;
    }
}
