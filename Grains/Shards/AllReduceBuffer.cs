namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Partial sums arriving for the all-reduces of one shard, keyed by batch and operation. When every rank has
/// contributed, the total is computed (in rank order, so every shard that sums gets the same bits) and handed to all
/// waiters. A contribution may arrive before this shard reaches that all-reduce itself.
/// </summary>
internal sealed class AllReduceBuffer(Func<TensorBytes[], Task<TensorBytes>> sum)
{
    private readonly Dictionary<(long, int), Slot> _slots = new();
    private readonly Dictionary<long, string> _aborted = new();

    private sealed class Slot(int ranks)
    {
        public readonly TensorBytes?[] Partials = new TensorBytes?[ranks];
        public int Count;
        public readonly TaskCompletionSource<TensorBytes> Total = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Adds a rank's partial; returns the task of the total.</summary>
    public Task<TensorBytes> Add(long batch, int op, int rank, int ranks, TensorBytes partial)
    {
        if (_closed is not null) return Task.FromException<TensorBytes>(new OlmException(_closed, OlmErrorKind.Unavailable));
        if (_aborted.TryGetValue(batch, out var reason)) return Task.FromException<TensorBytes>(new OlmException(reason));
        if (!_slots.TryGetValue((batch, op), out var slot)) _slots[(batch, op)] = slot = new Slot(ranks);
        if (slot.Partials[rank] is not null)
            throw new OlmException($"rank {rank} contributed twice to all-reduce {op} of batch {batch}");
        slot.Partials[rank] = partial;
        if (++slot.Count == ranks)
        {
            _slots.Remove((batch, op));
            _ = Complete(slot);
        }
        return slot.Total.Task;
    }

    private async Task Complete(Slot slot)
    {
        try { slot.Total.TrySetResult(await sum(slot.Partials!)); }
        catch (Exception e) { slot.Total.TrySetException(e); }
    }

    /// <summary>
    /// Fails every pending all-reduce and refuses later ones (the shard unloads): a rank waiting for a partial from a
    /// peer that died would otherwise wait for ever, and keep the shard's activation from ever deactivating.
    /// </summary>
    public void Close(string reason)
    {
        _closed = reason;
        foreach (var (_, slot) in _slots) slot.Total.TrySetException(new OlmException(reason, OlmErrorKind.Unavailable));
        _slots.Clear();
    }

    private string? _closed;

    /// <summary>Fails a batch's pending all-reduces and refuses its later ones (a rank failed).</summary>
    public void Abort(long batch, string reason)
    {
        _aborted[batch] = reason;
        while (_aborted.Count > 64) _aborted.Remove(_aborted.Keys.Min());
        foreach (var key in _slots.Keys.Where(k => k.Item1 == batch).ToList())
        {
            _slots.Remove(key, out var slot);
            slot!.Total.TrySetException(new OlmException(reason));
        }
    }
}
