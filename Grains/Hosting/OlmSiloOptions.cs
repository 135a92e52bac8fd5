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

    /// <summary>Folder that relative model paths are resolved against (null: the working directory).</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Compute threads per CPU device (0 = torch's default).</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Largest KV piece sent to another silo during sequence-parallel prefill: the message cap less room for the
    /// message's own fields. Smaller values (tests) cut every block into several pieces.
    /// </summary>
    public long KvPieceBytes { get; set; } = TensorBytes.MaxMessageBytes - 4096;

    /// <summary>How long a stopping silo may take to move its shards off and let its generations finish.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest piece of weights a silo without a model's folder reads at a time from one that has it (tests cut it small).</summary>
    public long WeightPieceBytes { get; set; } = Weights.PeerWeightSource.PieceBytes;

    /// <summary>A deployment's model name as this silo reads it: shape names as they are, paths under ModelDirectory.</summary>
    public string ResolveModel(string model) =>
        ModelName.IsShape(model) || Path.IsPathRooted(model) || ModelDirectory is null
            ? model
            : Path.GetFullPath(Path.Combine(ModelDirectory, model));

    public long BudgetBytes(string device)
    {
        if (MemoryGiB > 0) return (long)(MemoryGiB * (1L << 30));
        return !DeviceName.IsGpu(device)
            ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3
            : 70L << 30;
    }
}
