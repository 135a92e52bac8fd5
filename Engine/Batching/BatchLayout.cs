namespace OrleansLlm.Engine.Batching;

/// <summary>
/// The rows of a batched forward, in the order the kernels take them: every decode step first (one row each), then each
/// prefill chunk's rows. Inputs (ids or hidden states) and outputs of a batch follow this order.
/// </summary>
public sealed class BatchLayout
{
    public BatchLayout(IReadOnlyList<BatchEntry> entries, int blockSize, int ringBlocks = 0)
    {
        RingBlocks = ringBlocks;
        Decodes = entries.Where(e => e.IsDecode).ToArray();
        Chunks = entries.Where(e => !e.IsDecode).ToArray();
        Entries = [.. Decodes, .. Chunks];
        BlockSize = blockSize;
        foreach (var e in Entries)
            if (e.Count < 1 || e.Start < 0 || e.Start + e.Count > e.Blocks.Count * blockSize)
                throw new ArgumentException($"batch entry [{e.Start}, {e.Start + e.Count}) does not fit its {e.Blocks.Count} blocks");
            else if (e.Ring is { } ring && (ringBlocks < 1 || ring.Count > ringBlocks || ring.Count < Math.Min(ringBlocks, (e.Start + e.Count + blockSize - 1) / blockSize)))
                throw new ArgumentException($"batch entry [{e.Start}, {e.Start + e.Count}) has {ring.Count} ring blocks of {ringBlocks}");
        var row = 0;
        RowOf = Entries.Select(e => { var r = row; row += e.Count; return r; }).ToArray();
        Rows = row;
    }

    /// <summary>Entries in row order (decodes, then chunks): entry i's rows start at <see cref="RowOf"/>[i].</summary>
    public IReadOnlyList<BatchEntry> Entries { get; }
    public IReadOnlyList<BatchEntry> Decodes { get; }
    public IReadOnlyList<BatchEntry> Chunks { get; }
    public IReadOnlyList<int> RowOf { get; }
    public int Rows { get; }
    public int BlockSize { get; }

    /// <summary>Blocks of a sequence's ring for sliding layers (0: none; entries then have no ring).</summary>
    public int RingBlocks { get; }

    /// <summary>Whether sliding layers keep KV apart from the others (some entry has a ring).</summary>
    public bool HasRings => Entries.Any(e => e.Ring is not null);

    /// <summary>The longest context a decode row attends to (its position + 1).</summary>
    public int LongestDecode => Decodes.Count == 0 ? 0 : Decodes.Max(e => e.Start + 1);

    /// <summary>Rows whose logits the batch's outputs need: each Next entry's last row, every row of a Score entry.</summary>
    public int[] LogitRows() => Entries.SelectMany((e, i) => e.Output switch
    {
        BatchOutput.Next => [RowOf[i] + e.Count - 1],
        BatchOutput.Score => Enumerable.Range(RowOf[i], e.Count),
        _ => [],
    }).ToArray();
}
