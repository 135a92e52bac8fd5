using System.CommandLine;
using OrleansLlm.Client.Output;

namespace OrleansLlm.Client.Commands;

/// <summary>olm deploy: load a model on a running cluster (or, without --gateway, show the plan an embedded one makes).</summary>
internal static class DeployCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var name = new Option<string?>("--name")
        {
            Description = "the deployment's name, which HTTP clients give as their model (default: the folder's name and a hash of the plan)",
        };
        var command = new Command("deploy", "Load a model onto the cluster's devices and show where each shard went");
        common.AddTo(command);
        command.Options.Add(name);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            await using var session = await Session.OpenAsync(common, r, ct);
            var json = r.GetValue(common.Json);
            var deployment = await session.DeployAsync(common.Spec(r), json, r.GetValue(name));
            if (json) JsonLine.Write(new { id = deployment.Id, state = deployment.State, shards = deployment.Shards.Length });
            else Tables.Deployment(deployment, await Tables.ShardStatuses(session.Client, deployment));
            if (common.Connection.Embedded(r, r.GetValue(common.Gateway)) && !json)
                Console.Error.WriteLine("(embedded cluster: the deployment ends with this command; use --gateway for a lasting one)");
        }));
        return command;
    }
}
