using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Client.Connection;

/// <summary>
/// A connection to a cluster: a running one through its gateway, or an embedded one started in this process with K
/// silos (each its own Orleans host on free loopback ports, so they talk over TCP as separate processes would).
/// </summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    private readonly List<IHost> _hosts;

    private ClusterConnection(List<IHost> hosts, IClusterClient client)
    {
        _hosts = hosts;
        Client = client;
    }

    public IClusterClient Client { get; }

    /// <summary>How long a client keeps trying a gateway that does not answer or refuses it.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(9);

    public static Task<ClusterConnection> ConnectAsync(string? gateway, int silos, string device, CancellationToken ct,
        string? clusterId = null) =>
        ConnectAsync(gateway, new ClusterAccess { ClusterId = clusterId ?? "olm" }, silos, device, ct);

    /// <summary>
    /// A running cluster through <paramref name="gateway"/> or the gateways its Redis lists; without either, an embedded
    /// cluster of <paramref name="silos"/> silos in this process.
    /// </summary>
    public static async Task<ClusterConnection> ConnectAsync(string? gateway, ClusterAccess access, int silos, string device,
        CancellationToken ct)
    {
        if (gateway is not null || !access.Seeded) return await Running(gateway, access, ct);
        if (silos < 1) throw new ArgumentException($"--silos must be at least 1, got {silos}");
        var ports = FreePorts.Take(2 * silos);
        var embedded = new ClusterAccess { ClusterId = $"olm-embedded-{Environment.ProcessId}" };
        var hosts = new List<IHost>();
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                var host = EmbeddedSilo(ports[2 * i], ports[2 * i + 1], i == 0 ? null : primary, embedded, EmbeddedDevices(device, i, silos));
                hosts.Add(host);
                await host.StartAsync(ct);
            }
        }
        catch
        {
            foreach (var h in hosts) h.Dispose();
            throw;
        }
        return new ClusterConnection(hosts, hosts[0].Services.GetRequiredService<IClusterClient>());
    }

    private static IHost EmbeddedSilo(int siloPort, int gatewayPort, IPEndPoint? primary, ClusterAccess access, string[] devices) =>
        OlmHosts.SiloBuilder(SiloEndpoints.Loopback(siloPort, gatewayPort, primary), access,
            new OlmSiloOptions { Devices = [.. devices] }, quiet: true).Build();

    /// <summary>
    /// "cuda" shares the visible GPUs among the embedded silos round robin (one silo drives them all; K silos take every
    /// K-th); a named device is offered as it is.
    /// </summary>
    private static string[] EmbeddedDevices(string device, int silo, int silos)
    {
        if (device != "cuda") return [device];
        var gpus = Math.Max(1, TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 1);
        if (silos >= gpus) return [$"cuda:{silo % gpus}"];
        return Enumerable.Range(0, gpus).Where(g => g % silos == silo).Select(g => $"cuda:{g}").ToArray();
    }

    private static async Task<ClusterConnection> Running(string? gateway, ClusterAccess access, CancellationToken ct)
    {
        if (gateway is not null && !access.Seeded)
            throw new ArgumentException("give --gateway or --redis, not both: with Redis the client finds the gateways there");
        var endpoint = gateway is null ? null : ParseEndpoint(gateway);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        // OLM_LOG=1 shows the client's Orleans log on stderr (one line per event), for finding out where time goes.
        if (Environment.GetEnvironmentVariable("OLM_LOG") == "1")
        {
            OneLineConsoleFormatter.UseFor(builder.Logging);
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
        }
        var notes = new ConnectionNotes();
        builder.Logging.AddProvider(notes);
        // Orleans retries a refused gateway for as long as it is asked to: give up after ConnectTimeout, with the reason.
        var started = System.Diagnostics.Stopwatch.StartNew();
        builder.UseOrleansClient(client =>
        {
            OlmHosts.ConfigureClient(client, access, endpoint);
            client.UseConnectionRetryFilter(async (_, token) =>
                {
                    // Stop early enough that one more attempt (a Redis connect takes up to 3 s) ends within ConnectTimeout.
                    if (started.Elapsed > ConnectTimeout - TimeSpan.FromSeconds(3)) return false;
                    await Task.Delay(TimeSpan.FromSeconds(1), token);
                    return true;
                })
                .AddMemoryStreams(Grains.Interfaces.StreamNames.Provider);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            host.Dispose();
            var where = gateway ?? $"the gateways Redis {access.Redis} lists";
            throw new Grains.Interfaces.OlmException(
                $"cannot reach a cluster '{access.ClusterId}' at {where} (tried for {started.Elapsed.TotalSeconds:F0} s): {Reason(e, access, notes)}");
        }
        return new ClusterConnection([host], host.Services.GetRequiredService<IClusterClient>());
    }

    private static string Reason(Exception e, ClusterAccess access, ConnectionNotes notes)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
            if (c is Grains.Interfaces.OlmException olm) return olm.Message;
        if (access.Tls?.LastRefusal is { } refused) return refused;
        var reason = notes.Last ?? (e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e).Message.Split('\n')[0].Trim();
        if (ConnectionNotes.Named(reason) || reason.Contains("ConnectionRefused", StringComparison.Ordinal)) return reason;
        return reason + $" (is '{access.ClusterId}' the silos' --cluster-id?" + (access.Tls is null ? " do they run with --tls-cert? then give it too)" : ")");
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

    public async ValueTask DisposeAsync()
    {
        // Silos stop in reverse order so the primary goes last; a stop that hangs is not worth waiting for at exit.
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await host.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
            host.Dispose();
        }
    }
}
