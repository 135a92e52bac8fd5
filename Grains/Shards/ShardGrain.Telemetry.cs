using Microsoft.Extensions.DependencyInjection;
using OrleansLlm.Grains.Telemetry;

namespace OrleansLlm.Grains.Shards;

/// <summary>The entry's KV blocks in use and in all, for the silo's KV gauges.</summary>
public sealed partial class ShardGrain
{
    private void ReportKv()
    {
        var usage = ServiceProvider.GetService<KvUsage>();
        if (_pump?.Scheduler is not { } scheduler) usage?.Forget(Key);
        else usage?.Watch(Key, () => (scheduler.TotalBlocks - scheduler.FreeBlocks, scheduler.TotalBlocks));
    }
}
