namespace OrleansLlm.Grains.Interfaces;

/// <summary>How a sequence-parallel deployment splits a prompt and passes KV between its shards.</summary>
[GenerateSerializer, Alias("olm.PrefillAlgorithm")]
public enum PrefillAlgorithm
{
    /// <summary>Ring Attention: contiguous blocks, KV passed around the ring.</summary>
    [Names("ring")] Ring,
    /// <summary>Striped Attention: token i on shard i mod N, KV passed around the ring.</summary>
    [Names("striped")] Striped,
    /// <summary>KV-Runahead: uneven contiguous blocks fitted to measured costs, each shard's prefix KV passed forward.</summary>
    [Names("runahead")] Runahead,
}
