namespace OrleansLlm.Grains.Hosting;

/// <summary>The devices this silo offers, with their ledgers and compute threads (one singleton per silo).</summary>
public sealed class DeviceInventory : IDisposable
{
    private readonly Dictionary<string, DeviceLedger> _ledgers;
    private readonly Dictionary<string, Compute.DeviceExecutor> _executors;

    public DeviceInventory(OlmSiloOptions options)
    {
        var devices = options.Devices.Select(Normalize).Distinct().ToList();
        if (devices.Count == 0) throw new ArgumentException("a silo must offer at least one device");
        _ledgers = devices.ToDictionary(d => d, d => new DeviceLedger(d, options.BudgetBytes(d), options.RelativeSpeed));
        _executors = devices.ToDictionary(d => d, d => new Compute.DeviceExecutor(d, options.Threads));
    }

    public IReadOnlyCollection<string> Devices => _ledgers.Keys;

    public DeviceLedger Ledger(string device) =>
        _ledgers.TryGetValue(Normalize(device), out var l) ? l : throw new OlmException($"this silo offers no device '{device}'");

    public Compute.DeviceExecutor Executor(string device) =>
        _executors.TryGetValue(Normalize(device), out var e) ? e : throw new OlmException($"this silo offers no device '{device}'");

    /// <summary>The silo is stopping: it offers no device to new plans while its shards move off.</summary>
    public bool Draining { get; set; }

    public DeviceInfo[] Describe() => Draining ? [] : _ledgers.Values.Select(l => l.Describe()).ToArray();

    /// <summary>A device as this silo keys it: "cuda" means cuda:0.</summary>
    public static string Normalize(string device) => DeviceName.Parse(device).Concrete.ToString();

    public void Dispose()
    {
        foreach (var e in _executors.Values) e.Dispose();
    }
}
