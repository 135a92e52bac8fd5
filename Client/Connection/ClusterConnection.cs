using OrleansLlm.Grains.Interfaces.Connection;
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
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(9);

    /// <summary>What the OLM hosts this command starts need: its lifetime.</summary>
    private static void CommandServices(IServiceCollection services) => services.AddSingleton<IHostLifetime, CommandLifetime>();

    public static Task<ClusterConnection> ConnectAsync(string? gateway, int silos, string device, CancellationToken ct,
        string? clusterId = null, double memoryGiB = 0) =>
        ConnectAsync(gateway, new ClusterAccess { ClusterId = clusterId ?? "olm" }, silos, device, ct, memoryGiB);

    /// <summary>
    /// A running cluster through <paramref name="gateway"/> or the gateways its Redis lists; without either, an embedded
    /// cluster of <paramref name="silos"/> silos (devices of <paramref name="memoryGiB"/> each, 0: the default) in this process.
    /// </summary>
    public static async Task<ClusterConnection> ConnectAsync(string? gateway, ClusterAccess access, int silos, string device,
        CancellationToken ct, double memoryGiB = 0)
    {
        if (gateway is not null || !access.Seeded) return await Running(gateway, access, ct);
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

    /// <summary>olm sparsify: trains a model's sparsity predictors on a text and writes them next to it; the header's JSON.</summary>
    public static string Sparsify(string modelDir, string text, string? holdout, int rank, int steps, TextWriter log) =>
        OrleansLlm.Client.Embedded.SparsityTrainer.Run(modelDir, text, holdout, rank, steps, log);

    /// <summary>The families olm serves and its named shapes (olm models).</summary>
    public static Commands.Catalog Catalog() => new(
        OrleansLlm.Client.Embedded.ModelCatalog.Families().Select(f => new Commands.FamilyRow(f.Name, f.Architectures, f.Examples)).ToList(),
        OrleansLlm.Client.Embedded.ModelCatalog.Shapes().Select(s => new Commands.ShapeRow(s.Name, s.Family, s.Parameters, s.Layers, s.Hidden)).ToList());

    public static string ShapeConfig(string name) => OrleansLlm.Client.Embedded.ModelCatalog.ShapeConfig(name);
#else
    private static Task<ClusterConnection> Embedded(int silos, string device, double memoryGiB, CancellationToken ct) => throw ThinClient();

    public static Task RunSilo(int siloPort, int gatewayPort, int? primaryPort, string clusterId, List<string> devices, int threads,
        double memoryGiB, CancellationToken ct) => throw ThinClient();

    public static void WriteCheckpoint(string shape, string dtype, string dir, TextWriter log) => throw ThinClient();

    public static Commands.Catalog Catalog() => throw ThinClient();

    public static string ShapeConfig(string name) => throw ThinClient();

    public static string Sparsify(string modelDir, string text, string? holdout, int rank, int steps, TextWriter log) => throw ThinClient();

    private static ArgumentException ThinClient() =>
        new("this olm is a thin client (built with -p:OlmThin=true): it cannot host silos; pass --gateway HOST:PORT of a running cluster");
#endif

    private static async Task<ClusterConnection> Running(string? gateway, ClusterAccess access, CancellationToken ct)
    {
        if (gateway is not null && !access.Seeded)
            throw new ArgumentException("give --gateway or --redis, not both: with Redis the client finds the gateways there");
        var endpoint = gateway is null ? null : ParseEndpoint(gateway);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        CommandServices(builder.Services);
        // OLM_LOG=1 shows the client's Orleans log on stderr (one line per event), for finding out where time goes.
        if (OrleansLlm.Switches.OlmSwitches.Log.Value == "1")
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
            ClusterClient.Configure(client, access, endpoint);
            client.UseConnectionRetryFilter(async (_, token) =>
                {
                    // Stop early enough that one more attempt (a Redis connect takes up to 3 s) ends within ConnectTimeout.
                    if (started.Elapsed > ConnectTimeout - TimeSpan.FromSeconds(3)) return false;
                    await Task.Delay(TimeSpan.FromSeconds(1), token);
                    return true;
                })
                .AddMemoryStreams(StreamNames.Provider);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            host.Dispose();
            var where = gateway ?? $"the gateways Redis {RedisConnection.Describe(access.Redis!)} lists";
            throw new OlmException(
                $"cannot reach a cluster '{access.ClusterId}' at {where} (tried for {started.Elapsed.TotalSeconds:F0} s): {Reason(e, access, notes)}");
        }
        return new ClusterConnection(new HostOwner(host), host.Services.GetRequiredService<IClusterClient>());
    }

    private static string Reason(Exception e, ClusterAccess access, ConnectionNotes notes)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
            if (c is Grains.Interfaces.OlmException olm) return olm.Message;
        if (access.Tls?.LastRefusal is { } refused) return refused;
        var reason = notes.Last ?? (e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e).Message.Split('\n')[0].Trim();
        if (ConnectionNotes.Named(reason) || reason.Contains("ConnectionRefused", StringComparison.Ordinal)) return reason;
        // A gateway that refuses our certificate closes the connection after the handshake; the client hears no more.
        if (access.Tls is { } tls)
            return reason + $" (the gateway may refuse this client's certificate {ClusterTls.Describe(tls.Certificate)}: was it issued by the " +
                   $"authority the silos' --tls-ca names, or listed in their --tls-trust? and is '{access.ClusterId}' the silos' --cluster-id?)";
        return reason + $" (is '{access.ClusterId}' the silos' --cluster-id? do they run with --tls-cert? then give it too)";
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
            try { await host.StopAsync(timeout.Token); } catch (OperationCanceledException) { } // hung: disposed all the same
            host.Dispose();
        }
    }
}
