namespace OrleansLlm.Grains.Interfaces;

/// <summary>A silo's devices and their memory (key: the silo address). Lives on that silo.</summary>
[Alias("olm.ISiloInventoryGrain")]
public interface ISiloInventoryGrain : IGrainWithStringKey
{
    [Alias("Get")] Task<SiloInventory> GetAsync();

    /// <summary>Starts the process's peak resident memory again from now (benchmarks measure each configuration apart).</summary>
    [Alias("ResetPeakMemory")] Task ResetPeakMemoryAsync();
}
