using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace OrleansLlm.Grains.Placement;

/// <summary>
/// Places control grains (deployments, the directory) on the oldest silo: with localhost or seed-based clustering that
/// is the primary, whose loss ends the cluster anyway, so their in-memory plans outlive any other silo's failure.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.OldestSiloPlacement")]
public sealed class OldestSiloPlacement : PlacementStrategy
{
    public static readonly OldestSiloPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class OldestSiloPlacementAttribute() : PlacementAttribute(OldestSiloPlacement.Instance);

public sealed class OldestSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(context.GetCompatibleSilos(target).OrderBy(s => s.Generation).ThenBy(s => s.ToParsableString()).First());
}
