namespace OrleansLlm.Grains.Deployments;

/// <summary>Splits whole units (layers, heads, columns) in proportion to capacities, at least one each.</summary>
public static class ProportionalSplit
{
    /// <summary>Counts summing to <paramref name="total"/>, proportional to <paramref name="weights"/> by largest remainder.</summary>
    public static int[] Counts(int total, IReadOnlyList<double> weights)
    {
        var n = weights.Count;
        if (n == 0 || total < n) throw new OlmException($"cannot split {total} into {n} non-empty parts");
        if (weights.Any(w => !(w > 0))) throw new OlmException("capacity ratios must be positive");
        var sum = weights.Sum();
        var exact = weights.Select(w => total * w / sum).ToArray();
        var counts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        // Every part gets at least one unit, taken from the largest (there is one above 1 while total >= n).
        for (var i = 0; i < n; i++) counts[i] = Math.Max(1, counts[i]);
        while (counts.Sum() > total) counts[Array.IndexOf(counts, counts.Max())]--;
        var left = total - counts.Sum();
        foreach (var i in Enumerable.Range(0, n).OrderByDescending(i => exact[i] - Math.Floor(exact[i])).ThenBy(i => i).Take(left))
            counts[i]++;
        return counts;
    }

    /// <summary>The [start, end) ranges of those counts laid end to end.</summary>
    public static (int Start, int End)[] Ranges(int total, IReadOnlyList<double> weights)
    {
        var counts = Counts(total, weights);
        var start = 0;
        return counts.Select(c => (start, start += c)).ToArray();
    }
}
