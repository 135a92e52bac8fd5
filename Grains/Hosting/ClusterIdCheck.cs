using OrleansLlm.Grains.Interfaces.Connection;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using StackExchange.Redis;

namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// With Redis, a silo given another cluster id does not fail: it starts a cluster of its own beside the others. Once
/// up, the silo says which cluster it joined and with how many silos, and warns in one line when Redis holds other
/// clusters of this service with live silos, naming them, since that is most often a mistyped --cluster-id.
/// </summary>
public sealed partial class ClusterIdCheck(RedisConnection redis, ClusterAccess access, IClusterMembershipService membership,
    ILogger<ClusterIdCheck> log) : ILifecycleParticipant<ISiloLifecycle>
{
    private const int ActiveStatus = 3; // SiloStatus.Active, as the Redis membership table writes it

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ClusterIdCheck), ServiceLifecycleStage.Active, _ => Check());

    private async Task Check()
    {
        var active = membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
        LogJoined(log, access.ClusterId, RedisConnection.Describe(access.Redis!), active);
        try
        {
            var others = await OtherLiveClusters();
            if (others.Count > 0) LogOthers(log, access.ClusterId, string.Join(", ", others.Select(o => $"'{o}'")));
        }
        catch (Exception e) when (e is RedisException or JsonException or TimeoutException)
        {
            // Only a hint; a silo that cannot read it still serves.
        }
    }

    private async Task<List<string>> OtherLiveClusters()
    {
        var multiplexer = await redis.GetAsync();
        var prefix = $"{OlmHosts.ServiceId}/members/";
        var server = multiplexer.GetServers().First();
        var others = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
        {
            var clusterId = ((string)key!)[prefix.Length..];
            if (clusterId == access.ClusterId) continue;
            var rows = await multiplexer.GetDatabase().HashValuesAsync(key);
            if (rows.Any(IsActive)) others.Add(clusterId);
        }
        return others;
    }

    private static bool IsActive(RedisValue row)
    {
        if (!row.HasValue || !((string)row!).StartsWith('{')) return false;
        using var doc = JsonDocument.Parse((string)row!);
        return doc.RootElement.TryGetProperty("Status", out var s) && s.ValueKind == JsonValueKind.Number && s.GetInt32() == ActiveStatus;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "joined cluster '{ClusterId}' through Redis at {Redis}: {Active} silo(s) active")]
    private static partial void LogJoined(ILogger logger, string clusterId, string redis, int active);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "this silo is in cluster '{ClusterId}', but Redis also has live silos of cluster(s) {Others}: check --cluster-id if it should have joined them")]
    private static partial void LogOthers(ILogger logger, string clusterId, string others);
}
