using OrleansLlm.Grains.Interfaces.Connection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Persistence;
using Orleans.Storage;
using OrleansLlm.Grains.Hosting;
using StackExchange.Redis;

namespace OrleansLlm.Grains.Streams;

/// <summary>
/// Where the state that must outlive a silo is kept: deployments and their directory ("olm-control") and stream
/// subscriptions ("PubSubStore"). With Redis, in Redis under this cluster's id; seed-based, in memory on the oldest silo.
/// </summary>
public static class ControlStorage
{
    public const string Name = "olm-control";
    public const string PubSub = "PubSubStore";

    public static void AddTo(ISiloBuilder silo, ClusterAccess access)
    {
        if (!access.Seeded) silo.Services.TryAddSingleton<RedisConnection>();
        foreach (var name in new[] { Name, PubSub })
        {
            if (access.Seeded)
                silo.Services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new OldestSiloGrainStorage(sp.GetRequiredService<IGrainFactory>()));
            else
                silo.AddRedisGrainStorage(name, o => o.Configure<RedisConnection, Orleans.Serialization.Serializer, IOptions<ClusterOptions>>(Redis));
        }
    }

    private static void Redis(RedisStorageOptions o, RedisConnection connection, Orleans.Serialization.Serializer serializer,
        IOptions<ClusterOptions> cluster)
    {
        o.ConfigurationOptions = connection.Options();
        o.CreateMultiplexer = async _ => (await connection.GetAsync(), true);
        // Orleans' own serializer reads back the records as they travel; JSON would need every type to suit it.
        o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        o.DeleteStateOnClear = true;
        // Keys carry the cluster id: two clusters of the service on one Redis keep their deployments apart.
        var prefix = $"{cluster.Value.ServiceId}/{cluster.Value.ClusterId}/state/";
        o.GetStorageKey = (stateName, grainId) => (RedisKey)$"{prefix}{grainId}/{stateName}";
    }
}
