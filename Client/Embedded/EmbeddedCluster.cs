using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansLlm.Engine;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Client.Embedded;

/// <summary>
/// K silos in this process, each its own Orleans host on the given loopback ports, so they talk over TCP as separate
/// processes would. libtorch is checked first: without it, one line says what is missing.
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly List<IHost> _hosts;

    private EmbeddedCluster(List<IHost> hosts) => _hosts = hosts;

    public IClusterClient Client => _hosts[0].Services.GetRequiredService<IClusterClient>();

    /// <summary>
    /// <paramref name="ports"/>: a silo port and a gateway port per silo; <paramref name="services"/> adds to each host
    /// (the command's own lifetime, so Ctrl+C is the command's to handle).
    /// </summary>
    public static async Task<EmbeddedCluster> StartAsync(int silos, string device, double memoryGiB, int[] ports,
        Action<IServiceCollection> services, CancellationToken ct)
    {
        LibTorch.EnsureLoadable();
        var clusterId = $"olm-embedded-{Environment.ProcessId}";
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
        var hosts = new List<IHost>();
        try
        {
            var pairs = ports.Chunk(2).ToArray(); // a silo port and a gateway port each
            for (var i = 0; i < silos; i++)
            {
                var options = new OlmSiloOptions { Devices = [.. Devices(device, i, silos)], MemoryGiB = memoryGiB };
                var host = Silo(pairs[i][0], pairs[i][1], i == 0 ? null : primary, clusterId, options, services);
                hosts.Add(host);
                await host.StartAsync(ct);
            }
        }
        catch
        {
            foreach (var h in hosts) h.Dispose();
            throw;
        }
        return new EmbeddedCluster(hosts);
    }

    internal static IHost Silo(int siloPort, int gatewayPort, IPEndPoint? primary, string clusterId, OlmSiloOptions options,
        Action<IServiceCollection> services)
    {
        var builder = OlmHosts.SiloBuilder(SiloEndpoints.Loopback(siloPort, gatewayPort, primary), new ClusterAccess { ClusterId = clusterId },
            options, quiet: true);
        services(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// "cuda" shares the visible GPUs among the embedded silos round robin (one silo drives them all; K silos take every
    /// K-th); a named device is offered as it is.
    /// </summary>
    public static string[] Devices(string device, int silo, int silos)
    {
        if (DeviceName.Parse(device) is not { IsCuda: true, Index: null }) return [device];
        LibTorch.EnsureLoadable();
        var gpus = Math.Max(1, TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 1);
        if (silos >= gpus) return [$"cuda:{silo % gpus}"];
        return Enumerable.Range(0, gpus).Where(g => g % silos == silo).Select(g => $"cuda:{g}").ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        // Silos stop in reverse order so the primary goes last; a stop that hangs is not worth waiting for at exit.
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await host.StopAsync(timeout.Token); } catch (OperationCanceledException) { } // hung: disposed all the same
            host.Dispose();
        }
    }
}
