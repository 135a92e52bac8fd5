using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OrleansLlm.Grains.Telemetry;

/// <summary>
/// KV cache bytes in use and the budget they draw on, per shard of this silo, as the gauges olm.kv.used_bytes and
/// olm.kv.budget_bytes. Shards report when their requests start and end; the gauges read the latest reports.
/// </summary>
public sealed class KvUsage
{
    private readonly ConcurrentDictionary<string, (long Used, long Budget)> _shards = new();

    public KvUsage(IMeterFactory meters)
    {
        var meter = meters.Create(OlmMeter.Name);
        meter.CreateObservableGauge("olm.kv.used_bytes", () => Measure(s => s.Used), "By", "KV cache bytes in use, per shard");
        meter.CreateObservableGauge("olm.kv.budget_bytes", () => Measure(s => s.Budget), "By",
            "Memory budget of the shard's device, which weights and KV caches share");
    }

    public void Report(string shard, long usedBytes, long budgetBytes) => _shards[shard] = (usedBytes, budgetBytes);

    public void Remove(string shard) => _shards.TryRemove(shard, out _);

    private IEnumerable<Measurement<long>> Measure(Func<(long Used, long Budget), long> value) =>
        _shards.Select(s => new Measurement<long>(value(s.Value), new KeyValuePair<string, object?>("shard", s.Key)));
}
