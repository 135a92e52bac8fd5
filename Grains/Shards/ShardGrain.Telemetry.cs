using Microsoft.Extensions.DependencyInjection;
using OrleansLlm.Grains.Telemetry;

namespace OrleansLlm.Grains.Shards;

/// <summary>This shard's KV bytes in use and its device's budget, for the silo's KV gauges.</summary>
public sealed partial class ShardGrain
{
    private void ReportKv()
    {
        var usage = ServiceProvider.GetService<KvUsage>();
        if (_model is null) usage?.Remove(Key);
        else usage?.Report(Key, _requests.Values.Sum(r => r.Bytes), _ledger?.BudgetBytes ?? 0);
    }
}
