namespace OrleansLlm.Grains.Interfaces.Connection;

/// <summary>
/// How a silo or client finds its cluster and proves it belongs: the cluster id, where membership lives (Redis, or the
/// first silo when seed-based), and the TLS certificates, if any.
/// </summary>
public sealed record ClusterAccess
{
    public string ClusterId { get; init; } = "olm";

    /// <summary>HOST:PORT of the Redis that holds membership and control state; null: seed-based clustering.</summary>
    public string? Redis { get; init; }

    public ClusterTls? Tls { get; init; }

    public bool Seeded => Redis is null;
}
