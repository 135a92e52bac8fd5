namespace OrleansLlm.Grains.Hosting;

/// <summary>
/// The memory budget of one device of this silo: shards reserve their weights when they load and each request its KV
/// cache when it starts, so a request that does not fit is refused with a reason instead of running out of memory.
/// </summary>
public sealed class DeviceLedger(string device, long budgetBytes, double relativeSpeed = 1.0)
{
    private readonly Lock _lock = new();
    private long _reserved;

    public string Device => device;
    public long BudgetBytes => budgetBytes;
    public double RelativeSpeed => relativeSpeed;

    public long ReservedBytes
    {
        get { lock (_lock) return _reserved; }
    }

    public long FreeBytes => BudgetBytes - ReservedBytes;

    public bool TryReserve(long bytes)
    {
        lock (_lock)
        {
            if (bytes < 0 || _reserved + bytes > budgetBytes) return false;
            _reserved += bytes;
            return true;
        }
    }

    public void Release(long bytes)
    {
        lock (_lock) _reserved = Math.Max(0, _reserved - bytes);
    }

    public DeviceInfo Describe() => new(device, budgetBytes, ReservedBytes, relativeSpeed);
}
