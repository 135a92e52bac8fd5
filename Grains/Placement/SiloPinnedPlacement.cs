using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace OrleansLlm.Grains.Placement;

/// <summary>
/// Places a grain on the silo its key names: a <see cref="ShardKey"/>, or just the silo (SiloAddress.ToParsableString())
/// for a silo's own grains. Shards sit next to their device and never move; if that silo is gone the call fails instead
/// of loading the weights somewhere they were not planned.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.SiloPinnedPlacement")]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    public static readonly SiloPinnedPlacement Instance = new();

    public static string SiloOf(string key) => key.Contains('|') ? ShardKey.Parse(key).Silo : key;
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class SiloPinnedPlacementAttribute() : PlacementAttribute(SiloPinnedPlacement.Instance);

public sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var wanted = SiloPinnedPlacement.SiloOf(target.GrainIdentity.Key.ToString()!);
        foreach (var silo in context.GetCompatibleSilos(target))
            if (silo.ToParsableString() == wanted) return Task.FromResult(silo);
        throw new OlmException($"silo {wanted} is not in the cluster (its shards cannot be placed elsewhere)", OlmErrorKind.Unavailable);
    }
}
