namespace OrleansLlm.Grains.Hosting;

/// <summary>What a silo offers: its devices, each with a memory budget for weights and KV caches.</summary>
public sealed class OlmSiloOptions
{
    /// <summary>Devices offered: cpu, cuda:0, cuda:1, ...</summary>
    public List<string> Devices { get; set; } = ["cpu"];

    /// <summary>Memory budget per device in GiB; 0 means a default (3/4 of RAM for cpu, 70 GiB for a GPU).</summary>
    public double MemoryGiB { get; set; }

    /// <summary>Relative speed of this silo's devices, for uneven tensor/pipeline splits (1 = baseline).</summary>
    public double RelativeSpeed { get; set; } = 1.0;

    /// <summary>Compute threads per CPU device (0 = torch's default).</summary>
    public int Threads { get; set; }

    public long BudgetBytes(string device)
    {
        if (MemoryGiB > 0) return (long)(MemoryGiB * (1L << 30));
        return device == "cpu"
            ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3
            : 70L << 30;
    }
}
