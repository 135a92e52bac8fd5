using System.CommandLine;
using System.Net;
using OrleansLlm.Grains.Hosting;

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
        var command = new Command("silo", "Run one silo on loopback (as olm bench starts them); the Silo project is the full host") { Hidden = true };
        foreach (var o in new Option[] { siloPort, gatewayPort, primary, clusterId, devices, threads }) command.Options.Add(o);
        command.SetAction((r, ct) => Cli.Run(async () =>
        {
            var primaryEndpoint = r.GetValue(primary) is { } p ? new IPEndPoint(IPAddress.Loopback, p) : null;
            var options = new OlmSiloOptions
            {
                Devices = r.GetValue(devices)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
                Threads = r.GetValue(threads),
            };
            using var host = OlmHosts.SiloBuilder(SiloEndpoints.Loopback(r.GetValue(siloPort), r.GetValue(gatewayPort), primaryEndpoint),
                new ClusterAccess { ClusterId = r.GetValue(clusterId)! }, options, quiet: true).Build();
            await host.StartAsync(ct);
            Console.Out.WriteLine("ready");
            // The parent ends a bench silo by closing our stdin, so none outlives it.
            await Task.WhenAny(Task.Run(() => Console.In.ReadToEnd(), CancellationToken.None), Task.Delay(Timeout.Infinite, ct));
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await host.StopAsync(stop.Token); } catch (OperationCanceledException) { }
        }));
        return command;
    }
}
