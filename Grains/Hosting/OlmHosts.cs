using OrleansLlm.Grains.Interfaces.Connection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Runtime;

namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// Builds silo hosts (the Silo program, embedded clusters, bench silos, tests) and configures clients: endpoints,
/// membership (seed-based or Redis), TLS and failure detection, all in this one place.
/// </summary>
public static class OlmHosts
{
    public const string ServiceId = ClusterNames.ServiceId;

    public static HostApplicationBuilder SiloBuilder(SiloEndpoints endpoints, ClusterAccess access, OlmSiloOptions options,
        bool quiet, FailureDetection? detection = null, string? contentRoot = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = quiet, ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
        });
        if (quiet) builder.Logging.ClearProviders();
        else OneLineConsoleFormatter.UseFor(builder.Logging);
        var notes = new ConnectionNotes();
        builder.Logging.AddProvider(notes);
        builder.Services.AddSingleton(notes);
        // A watcher that fails (SeedWatch, RedisWatch, SiloDeathWatcher) is logged, never a reason to stop the silo.
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        builder.UseOrleans(silo =>
        {
            ConfigureSilo(silo, endpoints, access, detection ?? FailureDetection.Default);
            silo.AddOrleansLlm(options, access);
        });
        return builder;
    }

    /// <summary>How long a silo may take to join its cluster before it gives up and says why.</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Starts a silo built by <see cref="SiloBuilder"/>; one that cannot join within <see cref="JoinTimeout"/> (another
    /// cluster id, a refused certificate, an unreachable first silo) fails with the reason its log gave.
    /// </summary>
    public static async Task StartSiloAsync(IHost host, ClusterAccess access, CancellationToken ct = default, TimeSpan? joinTimeout = null)
    {
        var timeout = joinTimeout ?? JoinTimeout;
        using var joining = CancellationTokenSource.CreateLinkedTokenSource(ct);
        joining.CancelAfter(timeout);
        try
        {
            await host.StartAsync(joining.Token);
        }
        catch (Exception e) when (e is OperationCanceledException && !ct.IsCancellationRequested)
        {
            var why = access.Tls?.LastRefusal ?? host.Services.GetService<ConnectionNotes>()?.Last ?? "no silo of it answered";
            // Which side checks a connection's preamble first is a race: a silo that refuses our cluster id may just close.
            if (!ConnectionNotes.Named(why) && why != "no silo of it answered")
                why += $" (the silos reached closed the connection: check that its cluster id '{access.ClusterId}' and its TLS certificate match theirs)";
            throw new OlmException($"cannot join cluster '{access.ClusterId}' within {timeout.TotalSeconds:F0} s: {why}");
        }
    }

    private static void ConfigureSilo(ISiloBuilder silo, SiloEndpoints endpoints, ClusterAccess access, FailureDetection detection)
    {
        var advertised = endpoints.AdvertisedAddress();
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (access.ClusterId, ServiceId));
        silo.Configure<EndpointOptions>(o =>
        {
            (o.AdvertisedIPAddress, o.SiloPort, o.GatewayPort) = (advertised, endpoints.SiloPort, endpoints.GatewayPort);
            o.SiloListeningEndpoint = new(endpoints.Listen, endpoints.SiloPort);
            o.GatewayListeningEndpoint = new(endpoints.Listen, endpoints.GatewayPort);
        });
        silo.Configure<ClusterMembershipOptions>(detection.Apply);
        silo.Configure<GrainDirectoryOptions>(detection.Apply);
        // Orleans' default directory loses the entries a dead silo held, so the next call to a shard on a live silo makes
        // a second, empty activation ("not loaded"); the distributed directory rebuilds them from the live silos.
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        if (access.Seeded)
        {
            silo.UseDevelopmentClustering(endpoints.Primary ?? new(advertised, endpoints.SiloPort));
            if (endpoints.Primary is { } primary)
                silo.Services.AddHostedService(sp => new SeedWatch(primary, sp.GetRequiredService<ILogger<SeedWatch>>()));
        }
        else
        {
            silo.Services.TryAddSingleton<RedisConnection>();
            silo.Services.AddOptions<RedisClusteringOptions>().Configure<RedisConnection>(UseShared);
            silo.UseRedisClustering(o => o.ConfigurationOptions = RedisConnection.Options(access.Redis!));
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ClusterIdCheck>();
            silo.Services.AddHostedService<RedisWatch>();
        }
        access.Tls?.ApplyTo(silo);
    }

    private static void UseShared(RedisClusteringOptions o, RedisConnection connection) =>
        o.CreateMultiplexer = async _ => (await connection.GetAsync(), true);
}
