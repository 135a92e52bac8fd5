using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OrleansLlm.Engine;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Client.Embedded;

/// <summary>One silo on loopback in this process until stdin closes or the command is cancelled (olm silo, for bench).</summary>
public static class LoopbackSilo
{
    public static async Task RunAsync(int siloPort, int gatewayPort, int? primaryPort, string clusterId, List<string> devices,
        int threads, double memoryGiB, Action<IServiceCollection> services, CancellationToken ct)
    {
        LibTorch.EnsureLoadable();
        var primary = primaryPort is { } p ? new IPEndPoint(IPAddress.Loopback, p) : null;
        using var host = EmbeddedCluster.Silo(siloPort, gatewayPort, primary, clusterId, new OlmSiloOptions { Devices = devices, Threads = threads, MemoryGiB = memoryGiB }, services);
        await host.StartAsync(ct);
        Console.Out.WriteLine("ready");
        // The parent ends a bench silo by closing our stdin, so none outlives it.
        await Task.WhenAny(Task.Run(() => Console.In.ReadToEnd(), CancellationToken.None), Task.Delay(Timeout.Infinite, ct));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await host.StopAsync(stop.Token); } catch (OperationCanceledException) { } // a stop that hangs: the process exits anyway
    }
}
