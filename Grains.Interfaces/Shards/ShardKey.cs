namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A shard grain's key, <c>{deployment}/{index}|{silo}</c>: the silo part (SiloAddress.ToParsableString()) is where
/// placement activates the shard, so weights load only where the plan put them.
/// </summary>
public sealed record ShardKey(string Deployment, int Index, string Silo)
{
    public override string ToString() => $"{Deployment}/{Index}|{Silo}";

    public static ShardKey Parse(string key)
    {
        var bar = key.LastIndexOf('|');
        var slash = bar < 0 ? -1 : key.LastIndexOf('/', bar);
        if (slash <= 0 || !int.TryParse(key.AsSpan(slash + 1, bar - slash - 1), out var index) || bar == key.Length - 1)
            throw new ArgumentException($"'{key}' is not a shard key (deployment/index|silo)");
        return new ShardKey(key[..slash], index, key[(bar + 1)..]);
    }
}
