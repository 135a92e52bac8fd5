using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Deployments;

/// <summary>Answers, from the silo its key names, what devices that silo offers, how much memory is free, and the process's resident memory.</summary>
[SiloPinnedPlacement]
public sealed class SiloInventoryGrain(DeviceInventory inventory) : Grain, ISiloInventoryGrain
{
    public Task<SiloInventory> GetAsync()
    {
        var (rss, peak) = ProcessMemory.Read();
        return Task.FromResult(new SiloInventory(this.GetPrimaryKeyString(), inventory.Describe(), rss, peak));
    }

    public Task ResetPeakMemoryAsync()
    {
        ProcessMemory.ResetPeak();
        return Task.CompletedTask;
    }
}
