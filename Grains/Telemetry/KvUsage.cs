using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OrleansLlm.Grains.Telemetry;

/// <summary>
/// KV pool blocks in use and in all, per deployment entry on this silo (the entry's block tables address every shard
/// of its deployment), as the gauges olm.kv.blocks_used and olm.kv.blocks_total. Entries register a reading when they
/// load and drop it when they unload; the gauges read live values. Every loaded shard also reports its weights and its
/// pool's bytes, reserved and in memory (olm.weights, olm.kv.reserved, olm.kv.resident, in bytes).
/// </summary>
public sealed class KvUsage
{
    private readonly ConcurrentDictionary<string, Func<(long Used, long Total)>> _entries = new();
    private readonly ConcurrentDictionary<string, Func<(long Weights, long KvReserved, long KvResident)>> _shards = new();

    public KvUsage(IMeterFactory meters)
    {
        var meter = meters.Create(OlmMeter.Name);
        meter.CreateObservableGauge("olm.kv.blocks_used", () => Measure(s => s.Used), "{block}", "KV cache blocks in use, per deployment entry");
        meter.CreateObservableGauge("olm.kv.blocks_total", () => Measure(s => s.Total), "{block}", "KV cache blocks of the pool, per deployment entry");
        meter.CreateObservableGauge("olm.weights", () => Memory(s => s.Weights), "By", "Bytes of weights a shard holds");
        meter.CreateObservableGauge("olm.kv.reserved", () => Memory(s => s.KvReserved), "By", "Bytes of a shard's KV pool");
        meter.CreateObservableGauge("olm.kv.resident", () => Memory(s => s.KvResident), "By",
            "Bytes of a shard's KV pool in memory (a CPU pool grows into its reservation as blocks are first used)");
    }

    public void WatchMemory(string shard, Func<(long Weights, long KvReserved, long KvResident)> read) => _shards[shard] = read;

    public void ForgetMemory(string shard) => _shards.TryRemove(shard, out _);

    private IEnumerable<Measurement<long>> Memory(Func<(long Weights, long KvReserved, long KvResident), long> value) =>
        _shards.Select(s => new Measurement<long>(value(s.Value()), new KeyValuePair<string, object?>("shard", s.Key)));

    public void Watch(string shard, Func<(long Used, long Total)> read) => _entries[shard] = read;

    public void Forget(string shard) => _entries.TryRemove(shard, out _);

    private IEnumerable<Measurement<long>> Measure(Func<(long Used, long Total), long> value) =>
        _entries.Select(s => new Measurement<long>(value(s.Value()), new KeyValuePair<string, object?>("shard", s.Key)));
}
