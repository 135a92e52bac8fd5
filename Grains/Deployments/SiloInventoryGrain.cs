using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Deployments;

/// <summary>Answers, from the silo its key names, what devices that silo offers and how much memory is free.</summary>
[SiloPinnedPlacement]
public sealed class SiloInventoryGrain(DeviceInventory inventory) : Grain, ISiloInventoryGrain
{
    public Task<SiloInventory> GetAsync() =>
        Task.FromResult(new SiloInventory(this.GetPrimaryKeyString(), inventory.Describe()));
}
