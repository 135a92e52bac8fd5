namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// One sequence's rows in a batch: Count new tokens from position Start, KV in these pool blocks (every shard of a
/// deployment lays its pool out by the same block tables), and what it wants back: the next token (drawn as Sample
/// says) or the log-likelihood of Targets (one per row; −1 where a row has none). Ring: the blocks that layers sliding
/// over a window use instead (a ring of the message's RingBlocks), where the model has such layers.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.BatchItem")]
public sealed record BatchItem(
    [property: Id(0)] int Start,
    [property: Id(1)] int Count,
    [property: Id(2)] int[] Blocks,
    [property: Id(3)] BatchItemOutput Output,
    [property: Id(4)] TokenDraw? Sample = null,
    [property: Id(5)] int[]? Targets = null,
    [property: Id(6)] int[]? Ring = null);
