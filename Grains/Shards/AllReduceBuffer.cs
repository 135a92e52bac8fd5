namespace OrleansLlm.Grains.Shards;

/// <summary>
/// Partial sums arriving for the all-reduces of one shard, keyed by request and sequence number. When every rank has
/// contributed, the total is computed (in rank order, so every shard that sums gets the same bits) and handed to all
/// waiters. A contribution may arrive before this shard reaches that all-reduce itself.
/// </summary>
internal sealed class AllReduceBuffer(Func<TensorBytes[], Task<TensorBytes>> sum)
{
    private readonly Dictionary<(Guid, long), Slot> _slots = new();

    private sealed class Slot(int ranks)
    {
        public readonly TensorBytes?[] Partials = new TensorBytes?[ranks];
        public int Count;
        public readonly TaskCompletionSource<TensorBytes> Total = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Adds a rank's partial; returns the task of the total.</summary>
    public Task<TensorBytes> Add(Guid request, long sequence, int rank, int ranks, TensorBytes partial)
    {
        if (!_slots.TryGetValue((request, sequence), out var slot)) _slots[(request, sequence)] = slot = new Slot(ranks);
        if (slot.Partials[rank] is not null)
            throw new OlmException($"rank {rank} contributed twice to all-reduce {sequence} of request {request}");
        slot.Partials[rank] = partial;
        if (++slot.Count == ranks)
        {
            _slots.Remove((request, sequence));
            _ = Complete(slot);
        }
        return slot.Total.Task;
    }

    private async Task Complete(Slot slot)
    {
        try { slot.Total.TrySetResult(await sum(slot.Partials!)); }
        catch (Exception e) { slot.Total.TrySetException(e); }
    }

    /// <summary>Fails and forgets a request's pending all-reduces (it was released or failed).</summary>
    public void Drop(Guid request)
    {
        foreach (var key in _slots.Keys.Where(k => k.Item1 == request).ToList())
        {
            _slots.Remove(key, out var slot);
            slot!.Total.TrySetException(new OlmException($"request {request} was released"));
        }
    }
}
