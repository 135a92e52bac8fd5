using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Connection;

/// <summary>
/// A connection to a cluster: a running one through its gateway (nothing here needs libtorch), or an embedded one of K
/// silos in this process (OrleansLlm.Client.Embedded, loaded only then).
/// </summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IAsyncDisposable _owner;

    private ClusterConnection(IAsyncDisposable owner, IClusterClient client)
    {
        _owner = owner;
        Client = client;
    }

    public IClusterClient Client { get; }

    /// <summary>How long a client keeps trying a gateway that does not answer or refuses it.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(8);

    /// <summary>What the OLM hosts this command starts need: its lifetime.</summary>
    private static void CommandServices(IServiceCollection services) => services.AddSingleton<IHostLifetime, CommandLifetime>();

    public static async Task<ClusterConnection> ConnectAsync(string? gateway, int silos, string device, CancellationToken ct,
        string? clusterId = null, double memoryGiB = 0)
    {
        if (gateway is not null) return await Gateway(gateway, clusterId ?? "olm", ct);
        if (silos < 1) throw new ArgumentException($"--silos must be at least 1, got {silos}");
        if (memoryGiB < 0) throw new ArgumentException($"--memory-gb must not be negative, got {memoryGiB}");
        return await Embedded(silos, device, memoryGiB, ct);
    }

#if OLM_EMBEDDED
    // Its own method: the embedded assembly (and through it libtorch) loads only when this runs.
    private static async Task<ClusterConnection> Embedded(int silos, string device, double memoryGiB, CancellationToken ct)
    {
        var cluster = await OrleansLlm.Client.Embedded.EmbeddedCluster.StartAsync(silos, device, memoryGiB, FreePorts.Take(2 * silos), CommandServices, ct);
        return new ClusterConnection(cluster, cluster.Client);
    }

    public static Task RunSilo(int siloPort, int gatewayPort, int? primaryPort, string clusterId, List<string> devices, int threads,
        double memoryGiB, CancellationToken ct) =>
        OrleansLlm.Client.Embedded.LoopbackSilo.RunAsync(siloPort, gatewayPort, primaryPort, clusterId, devices, threads, memoryGiB,
            CommandServices, ct);

    /// <summary>Writes a random checkpoint of a named shape (the random weights shape:NAME deploys) as a model folder.</summary>
    public static void WriteCheckpoint(string shape, string dtype, string dir, TextWriter log) =>
        OrleansLlm.Client.Embedded.CheckpointWriter.Write(shape, dtype, dir, log);
#else
    private static Task<ClusterConnection> Embedded(int silos, string device, double memoryGiB, CancellationToken ct) => throw ThinClient();

    public static Task RunSilo(int siloPort, int gatewayPort, int? primaryPort, string clusterId, List<string> devices, int threads,
        double memoryGiB, CancellationToken ct) => throw ThinClient();

    public static void WriteCheckpoint(string shape, string dtype, string dir, TextWriter log) => throw ThinClient();

    private static ArgumentException ThinClient() =>
        new("this olm is a thin client (built with -p:OlmThin=true): it cannot host silos; pass --gateway HOST:PORT of a running cluster");
#endif

    private static async Task<ClusterConnection> Gateway(string gateway, string clusterId, CancellationToken ct)
    {
        var endpoint = ParseEndpoint(gateway);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        CommandServices(builder.Services);
        // Orleans retries a refused gateway for as long as it is asked to: give up after ConnectTimeout, with the reason.
        var started = System.Diagnostics.Stopwatch.StartNew();
        builder.UseOrleansClient(client => client
            .UseStaticClustering(endpoint)
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, ClusterNames.ServiceId))
            .UseConnectionRetryFilter(async (_, token) =>
            {
                if (started.Elapsed > ConnectTimeout) return false;
                await Task.Delay(TimeSpan.FromSeconds(1), token);
                return true;
            })
            .AddMemoryStreams(StreamNames.Provider));
        var host = builder.Build();
        try
        {
            await host.StartAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            host.Dispose();
            throw new OlmException(
                $"cannot reach a cluster '{clusterId}' at {gateway} (tried for {started.Elapsed.TotalSeconds:F0} s): {e.Message.Split('\n')[0]}");
        }
        return new ClusterConnection(new HostOwner(host), host.Services.GetRequiredService<IClusterClient>());
    }

    private static IPEndPoint ParseEndpoint(string text)
    {
        var at = text.LastIndexOf(':');
        if (at <= 0 || !int.TryParse(text[(at + 1)..], out var port))
            throw new ArgumentException($"--gateway must be HOST:PORT, got '{text}'");
        var host = text[..at];
        var address = IPAddress.TryParse(host, out var ip) ? ip
            : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new ArgumentException($"cannot resolve '{host}'");
        return new IPEndPoint(address, port);
    }

    public ValueTask DisposeAsync() => _owner.DisposeAsync();

    /// <summary>The client host, stopped at the end of the command (a stop that hangs is not worth waiting for at exit).</summary>
    private sealed class HostOwner(IHost host) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await host.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
            host.Dispose();
        }
    }
}
