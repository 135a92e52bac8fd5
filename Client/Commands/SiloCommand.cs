using System.CommandLine;
using OrleansLlm.Client.Connection;

namespace OrleansLlm.Client.Commands;

/// <summary>olm silo: runs one silo in this process until stdin closes or Ctrl+C (bench spawns these; so can scripts).</summary>
internal static class SiloCommand
{
    public static Command Create()
    {
        var siloPort = new Option<int>("--silo-port") { Required = true, Description = "port for silo-to-silo traffic" };
        var gatewayPort = new Option<int>("--gateway-port") { Required = true, Description = "port clients connect to" };
        var primary = new Option<int?>("--primary-port") { Description = "silo port of the first silo on this machine (omit on the first)" };
        var clusterId = new Option<string>("--cluster-id") { DefaultValueFactory = _ => "olm", Description = "cluster name" };
        var devices = new Option<string>("--devices") { DefaultValueFactory = _ => "cpu", Description = "devices offered: cpu, cuda:0, ..." };
        var threads = new Option<int>("--threads") { Description = "compute threads per CPU device (0: torch's choice)" };
        var memory = new Option<double>("--memory-gb") { Description = "memory budget per device in GiB (0: 3/4 of RAM for cpu)" };
        var command = new Command("silo", "Run one silo on loopback (as olm bench starts them); the Silo project is the full host") { Hidden = true };
        foreach (var o in new Option[] { siloPort, gatewayPort, primary, clusterId, devices, threads, memory }) command.Options.Add(o);
        command.SetAction((r, ct) => Cli.Run(() => ClusterConnection.RunSilo(r.GetValue(siloPort), r.GetValue(gatewayPort),
            r.GetValue(primary), r.GetValue(clusterId)!,
            r.GetValue(devices)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
            r.GetValue(threads), r.GetValue(memory), ct)));
        return command;
    }
}
