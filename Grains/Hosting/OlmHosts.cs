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
    public const string ServiceId = "orleans-llm";

    public static HostApplicationBuilder SiloBuilder(SiloEndpoints endpoints, ClusterAccess access, OlmSiloOptions options,
        bool quiet, FailureDetection? detection = null, string? contentRoot = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = quiet, ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
        });
        if (quiet) builder.Logging.ClearProviders();
        else OneLineConsoleFormatter.UseFor(builder.Logging);
        builder.UseOrleans(silo =>
        {
            ConfigureSilo(silo, endpoints, access, detection ?? FailureDetection.Default);
            silo.AddOrleansLlm(options, access);
        });
        return builder;
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
        }
        access.Tls?.ApplyTo(silo);
    }

    /// <summary>A client of the cluster: through the given gateway (seed-based), or the gateways Redis lists.</summary>
    public static void ConfigureClient(IClientBuilder client, ClusterAccess access, System.Net.IPEndPoint? gateway)
    {
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (access.ClusterId, ServiceId));
        // A gateway that died is dropped from the list this often; Orleans' default is a minute.
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        if (access.Seeded)
            client.UseStaticClustering(gateway ?? throw new ArgumentException("a seed-based cluster needs --gateway HOST:PORT"));
        else
        {
            client.Services.TryAddSingleton<RedisConnection>();
            client.Services.AddSingleton(access);
            client.Services.AddOptions<RedisClusteringOptions>().Configure<RedisConnection>(UseShared);
            client.UseRedisClustering(o => o.ConfigurationOptions = RedisConnection.Options(access.Redis!));
        }
        access.Tls?.ApplyTo(client);
    }

    private static void UseShared(RedisClusteringOptions o, RedisConnection connection) =>
        o.CreateMultiplexer = async _ => (await connection.GetAsync(), true);
}
