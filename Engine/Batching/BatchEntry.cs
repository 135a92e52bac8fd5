namespace OrleansLlm.Engine.Batching;

/// <summary>
/// One sequence's part of a batched forward: <see cref="Count"/> new tokens from position <see cref="Start"/>, whose KV
/// goes into (and whose attention reads from) the sequence's <see cref="Blocks"/>. One token is a decode step; more is
/// a prefill chunk, attending causally to the chunk and everything before it. Sliding layers keep the sequence's KV in
/// <see cref="Ring"/> (see <see cref="Paged.BlockTable.RingSlot"/>); null: in <see cref="Blocks"/>, as every layer.
/// </summary>
public sealed record BatchEntry(int Start, int Count, IReadOnlyList<int> Blocks, BatchOutput Output, IReadOnlyList<int>? Ring = null)
{
    public bool IsDecode => Count == 1;

    /// <summary>Where sliding layers keep position <paramref name="position"/>'s KV.</summary>
    public long LocalSlot(int blockSize, int ringBlocks, int position) => Ring is null
        ? Paged.BlockTable.Slot(Blocks, blockSize, position)
        : Paged.BlockTable.RingSlot(Ring, blockSize, ringBlocks, position);
}

/// <summary>What a sequence wants back from a batch.</summary>
public enum BatchOutput
{
    /// <summary>Nothing: a prefill chunk before the prompt's last.</summary>
    None,
    /// <summary>The next token, drawn from the logits of its last position.</summary>
    Next,
    /// <summary>The log-likelihood of given targets at every position (perplexity).</summary>
    Score,
}
