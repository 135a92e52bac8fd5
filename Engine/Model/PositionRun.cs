namespace OrleansLlm.Engine.Model;

/// <summary>
/// Where a block's tokens sit, known on the host: <see cref="Count"/> positions from <see cref="First"/> in steps of
/// <see cref="Stride"/> (1 for a contiguous slice, N for a stripe of N shards). <see cref="Stride"/> 0 means the
/// positions follow no single step; such blocks take the general masked kernel.
/// </summary>
public readonly record struct PositionRun(long First, long Stride, long Count)
{
    public static readonly PositionRun Empty = new(long.MaxValue, 1, 0);

    public bool IsRegular => Stride > 0;

    public static PositionRun Of(ReadOnlySpan<long> positions)
    {
        if (positions.Length == 0) return Empty;
        if (positions.Length == 1) return new(positions[0], 1, 1);
        var stride = positions[1] - positions[0];
        for (var i = 2; i < positions.Length && stride > 0; i++)
            if (positions[i] - positions[i - 1] != stride) stride = 0;
        return new(positions[0], Math.Max(0, stride), positions.Length);
    }

    /// <summary>This run followed by another (KV-Runahead's growing prefix).</summary>
    public PositionRun Then(PositionRun next)
    {
        if (Count == 0) return next;
        if (next.Count == 0) return this;
        var stride = Count == 1 ? next.First - First : Stride;
        var continues = stride > 0 && (next.Count == 1 || next.Stride == stride) && First + Count * stride == next.First;
        return new(First, continues ? stride : 0, Count + next.Count);
    }

    /// <summary>
    /// For two regular runs with the same step: key b is visible to query a (key position ≤ query position) exactly
    /// when b ≤ a + offset. Null when no such offset exists (different steps or an irregular run).
    /// </summary>
    public static long? VisibilityOffset(PositionRun queries, PositionRun keys)
    {
        if (!queries.IsRegular || !keys.IsRegular) return null;
        var stride = queries.Count > 1 ? queries.Stride : keys.Stride;
        if (keys.Count > 1 && keys.Stride != stride) return null;
        if (queries.Count > 1 && keys.Count > 1 && queries.Stride != keys.Stride) return null;
        var (quotient, remainder) = Math.DivRem(queries.First - keys.First, stride);
        return remainder < 0 ? quotient - 1 : quotient;
    }
}
