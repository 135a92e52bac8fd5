using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;

namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// How a client reaches a cluster (here, beside the grain interfaces, so a gateway client needs neither the grains nor
/// libtorch): its id, seed gateway or Redis membership, and TLS.
/// </summary>
public static class ClusterClient
{
    /// <summary>A client of the cluster: through the given gateway (seed-based), or the gateways Redis lists.</summary>
    public static void Configure(IClientBuilder client, ClusterAccess access, System.Net.IPEndPoint? gateway)
    {
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (access.ClusterId, ClusterNames.ServiceId));
        // A gateway that died is dropped from the list this often; Orleans' default is a minute.
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ClusterNames.ResponseTimeout);
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
