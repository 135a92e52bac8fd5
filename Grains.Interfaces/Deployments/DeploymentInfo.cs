namespace OrleansLlm.Grains.Interfaces;

/// <summary>A deployment's plan and state, as the deployment grain knows it.</summary>
[GenerateSerializer, Immutable, Alias("olm.DeploymentInfo")]
public sealed record DeploymentInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required DeploySpec Spec { get; init; }
    [Id(2)] public required ShardPlan[] Shards { get; init; }
    [Id(3)] public required DeploymentState State { get; init; }
    [Id(4)] public string? Error { get; init; }
    [Id(5)] public int VocabSize { get; init; }
    [Id(6)] public int ContextLength { get; init; }
    [Id(7)] public int[] EosTokenIds { get; init; } = [];
    [Id(8)] public bool HasTokenizer { get; init; }
    [Id(9)] public string Architecture { get; init; } = "";
    [Id(10)] public int HiddenSize { get; init; }
    [Id(11)] public int Layers { get; init; }
    /// <summary>Blocks of every shard's KV pool and tokens a block (0 for sequence-parallel deployments).</summary>
    [Id(12)] public int KvBlocks { get; init; }
    [Id(13)] public int BlockSize { get; init; }
    /// <summary>How many times the deployment was re-planned after losing a silo (requests resume on a newer plan).</summary>
    [Id(14)] public int Epoch { get; init; }

    /// <summary>The master shard of the first stage: where a request's steps start.</summary>
    public ShardPlan Entry => Shards.First(s => s.Stage == 0 && s.Rank == 0);
}
