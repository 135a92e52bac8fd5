using System.CommandLine;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>olm status: the cluster's silos and devices, deployments and shards.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var gateway = new Option<string?>("--gateway") { Description = "HOST:PORT of a running cluster's gateway (default 127.0.0.1:30000, or the gateways --redis lists)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line of stdout" };
        var clusterId = new Option<string>("--cluster-id") { Description = "the cluster's id, as its silos were started with", DefaultValueFactory = _ => OrleansLlm.Switches.OlmSwitches.ClusterId.Value ?? "olm" };
        var command = new Command("status", "Show the silos, their devices and memory, and every deployment's shards");
        command.Options.Add(gateway);
        command.Options.Add(json);
        command.Options.Add(clusterId);
        var connectionOptions = new Connection.ConnectionOptions();
        connectionOptions.AddTo(command);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            var access = connectionOptions.Access(r, r.GetValue(clusterId)!, r.GetValue(gateway));
            await using var connection = await Connection.ClusterConnection.ConnectAsync(
                r.GetValue(gateway) ?? (access.Seeded ? "127.0.0.1:30000" : null), access, 1, "cpu", ct);
            var client = connection.Client;
            var silos = await Tables.Inventories(client);
            var ids = await client.GetGrain<IDeploymentDirectoryGrain>(0).ListAsync();
            var deployments = (await Task.WhenAll(ids.Select(id => client.GetGrain<IDeploymentGrain>(id).GetAsync())))
                .OfType<DeploymentInfo>().ToArray();
            if (r.GetValue(json))
            {
                var statuses = await Task.WhenAll(deployments.Select(d => Tables.ShardStatuses(client, d)));
                JsonLine.Write(new { silos, deployments = deployments.Zip(statuses, (d, st) => new
                {
                    d.Id, state = EnumText<DeploymentState>.Name(d.State), d.Spec.Model, shards = d.Shards.Length,
                    weights = d.Spec.Weights.ToString(), windows = d.Shards.Select(s => s.Window), weight_bytes = d.Shards.Select(s => s.WeightBytes),
                    // Per shard, null where it did not answer: its pool reserved, the part of it in memory, and the
                    // entry's blocks in use (the same for every shard of the deployment).
                    kv_bytes = st.Select(s => s?.KvBytes), kv_resident_bytes = st.Select(s => s?.KvResidentBytes),
                    kv_blocks = st.FirstOrDefault(s => s is not null)?.KvBlocks,
                    kv_blocks_used = st.FirstOrDefault(s => s is { KvBlocksUsed: >= 0 })?.KvBlocksUsed,
                }) });
                return;
            }
            Tables.Silos(silos);
            foreach (var d in deployments) Tables.Deployment(d, await Tables.ShardStatuses(client, d));
        }));
        return command;
    }
}
