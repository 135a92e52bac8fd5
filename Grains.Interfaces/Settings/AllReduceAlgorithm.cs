namespace OrleansLlm.Grains.Interfaces;

/// <summary>How tensor-parallel shards add their partial sums over grain messages.</summary>
[GenerateSerializer, Alias("olm.AllReduceAlgorithm")]
public enum AllReduceAlgorithm
{
    /// <summary>All-to-all for two ranks (as many messages as star, one hop less), star above.</summary>
    [Names("auto")] Auto,
    /// <summary>TPI-LLM's star: ranks send to the master, which answers each with the total.</summary>
    [Names("star")] Star,
    /// <summary>Every rank sends its partial to every other and sums what it receives.</summary>
    [Names("all-to-all")] AllToAll,
}
