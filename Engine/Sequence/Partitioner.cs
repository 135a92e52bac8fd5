namespace OrleansLlm.Engine.Sequence;

/// <summary>Which global positions of a prompt each sequence-parallel shard computes.</summary>
public static class Partitioner
{
    public static long[][] Positions(int length, int shards, SequenceStrategy strategy, RunaheadCostModel? cost = null) =>
        strategy switch
        {
            SequenceStrategy.Striped => Enumerable.Range(0, shards)
                .Select(i => Enumerable.Range(0, length).Where(j => j % shards == i).Select(j => (long)j).ToArray()).ToArray(),
            SequenceStrategy.Runahead => Contiguous(CheckedRunaheadSizes(length, shards, cost ?? new RunaheadCostModel(1, 0.01, 0))),
            _ => Contiguous(EvenSizes(length, shards)),
        };

    /// <summary>
    /// <see cref="RunaheadSizes"/>, except that a cost model gone wrong (NaN, extreme fits) must not break a request:
    /// then even blocks.
    /// </summary>
    public static int[] CheckedRunaheadSizes(int length, int shards, RunaheadCostModel cost)
    {
        var sizes = RunaheadSizes(length, shards, cost);
        return sizes.Sum() == length && sizes.All(n => n >= (length >= shards ? 1 : 0)) ? sizes : EvenSizes(length, shards);
    }

    public static int[] EvenSizes(int length, int shards) =>
        Enumerable.Range(0, shards).Select(i => length / shards + (i < length % shards ? 1 : 0)).ToArray();

    /// <summary>
    /// Contiguous sizes for KV-Runahead such that every shard's modelled time is equal: later shards attend to a longer
    /// prefix, so they get fewer tokens. Binary search on the common time; each size then follows from the previous.
    /// </summary>
    public static int[] RunaheadSizes(int length, int shards, RunaheadCostModel cost)
    {
        if (length < shards) return EvenSizes(length, shards);
        double lo = 0, hi = cost.Time(length, 0);
        int[] best = EvenSizes(length, shards);
        for (var iteration = 0; iteration < 60; iteration++)
        {
            var target = (lo + hi) / 2;
            var sizes = SizesFor(target, length, shards, cost);
            if (sizes.Sum() >= length) { hi = target; best = sizes; } else lo = target;
        }
        // Trim the overshoot from the last shards, keeping at least one token each.
        var excess = best.Sum() - length;
        for (var i = shards - 1; i >= 0 && excess > 0; i--)
        {
            var take = Math.Min(excess, best[i] - 1);
            best[i] -= take;
            excess -= take;
        }
        return best;
    }

    private static int[] SizesFor(double target, int length, int shards, RunaheadCostModel cost)
    {
        var sizes = new int[shards];
        long before = 0;
        for (var i = 0; i < shards; i++)
        {
            // The largest n >= 1 with Time(n, before) <= target (the last shard takes what is left, within the target).
            long lo = 1, hi = Math.Max(1, length - before - (shards - 1 - i));
            while (lo < hi)
            {
                var mid = (lo + hi + 1) / 2;
                if (cost.Time(mid, before) <= target) lo = mid; else hi = mid - 1;
            }
            sizes[i] = (int)lo;
            before += lo;
        }
        return sizes;
    }

    /// <summary>The positions of contiguous blocks of these sizes, laid end to end from 0.</summary>
    public static long[][] Contiguous(IReadOnlyList<int> sizes)
    {
        var start = 0L;
        return sizes.Select(n =>
        {
            var positions = Enumerable.Range(0, n).Select(j => start + j).ToArray();
            start += n;
            return positions;
        }).ToArray();
    }
}
