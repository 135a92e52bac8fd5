using OrleansLlm.Grains.Interfaces.Connection;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Grains.Placement;

/// <summary>
/// Places control grains (deployments, their directory, the seed-based state store). Seed-based, they go on the
/// oldest silo, the one whose loss ends the cluster anyway, so their in-memory state outlives any other silo's loss.
/// With Redis their state is stored there, so they go on the silo that first asks and come back on any silo after a
/// loss.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.ControlPlacement")]
public sealed class ControlPlacement : PlacementStrategy
{
    public static readonly ControlPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class ControlPlacementAttribute() : PlacementAttribute(ControlPlacement.Instance);

public sealed class ControlPlacementDirector(ClusterAccess access) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (!access.Seeded && silos.Contains(context.LocalSilo)) return Task.FromResult(context.LocalSilo);
        return Task.FromResult(silos.OrderBy(s => s.Generation).ThenBy(s => s.ToParsableString()).First());
    }
}
