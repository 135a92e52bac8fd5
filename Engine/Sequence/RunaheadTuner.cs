namespace OrleansLlm.Engine.Sequence;

/// <summary>
/// KV-Runahead's partitions for one deployment: sizes from the cost model, refitted to the shards' measured busy times
/// while measurements are few (after 1, 2, 4, 8 and 16 prefills), then cached per prompt length. Both the measurements
/// and the cache are bounded, so a long-running deployment holds a fixed amount. Thread-safe.
/// </summary>
public sealed class RunaheadTuner(int shards, RunaheadCostModel fromShape, int maxSamples = 256, int maxCached = 64)
{
    private readonly Lock _lock = new();
    private readonly Queue<(long Tokens, long Before, double Seconds)> _samples = new();
    private readonly Dictionary<int, int[]> _sizes = new();
    private int _prefills;

    public int Shards => shards;

    /// <summary>Contiguous block sizes, one per shard, for a prompt of this length.</summary>
    public int[] Sizes(int length)
    {
        lock (_lock)
        {
            if (_sizes.TryGetValue(length, out var cached)) return cached;
            if (_sizes.Count >= maxCached) _sizes.Clear();
            return _sizes[length] = Partitioner.CheckedRunaheadSizes(length, shards, Model());
        }
    }

    /// <summary>A prefill's busy seconds per shard for the sizes it ran with.</summary>
    public void Record(IReadOnlyList<int> sizes, IReadOnlyList<double> busySeconds)
    {
        if (sizes.Count != shards || busySeconds.Count != shards)
            throw new ArgumentException($"a Runahead measurement needs {shards} sizes and times");
        lock (_lock)
        {
            long before = 0;
            for (var i = 0; i < shards; i++)
            {
                _samples.Enqueue((sizes[i], before, busySeconds[i]));
                before += sizes[i];
            }
            while (_samples.Count > maxSamples) _samples.Dequeue();
            _prefills++;
            if (_prefills <= 16 && (_prefills & (_prefills - 1)) == 0) _sizes.Clear();
        }
    }

    public int CachedLengths
    {
        get { lock (_lock) return _sizes.Count; }
    }

    /// <summary>Fitted to the measurements once they determine it; from the model's shape before.</summary>
    private RunaheadCostModel Model()
    {
        if (_samples.Count >= 2)
            try { return RunaheadCostModel.Fit(_samples.ToList()); } catch (ArgumentException) { } // not yet determined
        return fromShape;
    }
}
