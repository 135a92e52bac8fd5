using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Paged;

namespace OrleansLlm.Engine.Serving;

/// <summary>
/// Continuous batching over a paged KV pool. Each batch takes every running sequence's decode step first, then prefill
/// chunks (at most <see cref="SchedulerOptions.PrefillChunk"/> tokens of a prompt a batch) up to the batch's token budget,
/// so requests join and leave at every step and a long prompt does not stall others' tokens. A sequence is admitted when
/// the blocks for all its known tokens are free; when a running sequence needs a block and none is free, the youngest
/// other sequence is preempted (its blocks freed, its tokens computed again later), vLLM's recompute policy. Where the
/// model's layers slide over a window, each sequence also holds a ring of blocks for them
/// (<see cref="SchedulerOptions.RingBlocks"/>), taken as its blocks grow and reused once full, so a long conversation
/// holds only its window's KV in those layers. Not thread-safe: one owner drives it.
/// </summary>
public sealed class BatchScheduler
{
    private readonly SchedulerOptions _options;
    private readonly BlockAllocator _blocks;
    private readonly BlockAllocator? _ring;
    private readonly Dictionary<Guid, ServingSequence> _sequences = new();
    private long _arrivals;
    private long _batches;

    public BatchScheduler(int poolBlocks, SchedulerOptions options)
    {
        options.Validate();
        _options = options;
        _blocks = new BlockAllocator(poolBlocks);
        if (options.RingBlocks > 0) _ring = new BlockAllocator(options.LocalPoolBlocks(poolBlocks));
    }

    /// <summary>Blocks of the sliding layers' pool in use (rings), or −1 without one.</summary>
    public int RingBlocksUsed => _ring?.Used ?? -1;

    public int TotalBlocks => _blocks.Total;
    public int FreeBlocks => _blocks.Free;
    public int BlockSize => _options.BlockSize;
    public int Running => _sequences.Values.Count(s => s.Admitted);
    public int Waiting => _sequences.Values.Count(s => !s.Admitted && s.Pending > 0);
    public long Preemptions { get; private set; }

    /// <summary>Tokens the whole pool holds.</summary>
    public long CapacityTokens => (long)_blocks.Total * _options.BlockSize;

    /// <summary>
    /// A new sequence with its prompt, wanting <paramref name="want"/> once the prompt is computed. Refused when it could
    /// never fit (<paramref name="maxTokens"/> more than the whole pool) or when too many requests wait.
    /// </summary>
    public ServingSequence Start(Guid id, IReadOnlyList<int> prompt, int maxTokens, BatchOutput want)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty");
        if (_sequences.ContainsKey(id)) throw new ArgumentException($"request {id} has already started");
        if (maxTokens > CapacityTokens)
            throw new KvCapacityException(
                $"this request needs up to {maxTokens} tokens of KV cache; the whole cache holds {CapacityTokens} ({_blocks.Total} blocks of {_options.BlockSize})");
        if (Waiting >= _options.MaxWaiting)
            throw new BusyException($"busy: {Waiting} requests are waiting (the limit is {_options.MaxWaiting}); retry later");
        var sequence = new ServingSequence(id, prompt, want, _options.BlockSize, _arrivals++);
        _sequences[id] = sequence;
        return sequence;
    }

    /// <summary>Feeds a token back (a decode step): the sequence then wants the next one.</summary>
    public void Append(Guid id, int token)
    {
        var s = Get(id);
        if (s.Pending > 0) throw new InvalidOperationException($"request {id} still has {s.Pending} tokens to compute");
        s.Tokens.Add(token);
        s.Want = BatchOutput.Next;
    }

    public bool Contains(Guid id) => _sequences.ContainsKey(id);

    /// <summary>Forgets a sequence; its blocks are freed now, or when its batch completes if it is in one.</summary>
    public void Remove(Guid id)
    {
        if (!_sequences.Remove(id, out var s)) return;
        if (s.InFlight) s.Removed = true;
        else Free(s);
    }

    private void Free(ServingSequence s)
    {
        _blocks.Return(s.Blocks.Clear());
        _ring?.Return(s.Ring.Clear());
    }

    /// <summary>The next batch, or null when no sequence has work that can run now.</summary>
    public ScheduledBatch? Next()
    {
        var picked = new List<(ServingSequence Sequence, BatchEntry Entry)>();
        var budget = _options.MaxBatchTokens;
        foreach (var s in Ready().Where(s => s.Admitted && s.Pending == 1).OrderBy(s => s.Arrival))
        {
            if (budget == 0 || picked.Count >= _options.MaxRunning) break;
            if (!Reserve(s, s.Tokens.Count, preempt: true)) continue;
            picked.Add((s, Entry(s, 1)));
            s.InFlight = true; // from here on not a victim of later reservations in this batch
            budget--;
        }
        foreach (var s in Ready().Where(s => s.Pending > 1 || !s.Admitted).OrderBy(s => s.Admitted ? 0 : 1).ThenBy(s => s.Arrival))
        {
            if (budget == 0) break;
            if (!s.Admitted && (Running >= _options.MaxRunning || _blocks.Free < s.Blocks.Missing(s.Tokens.Count) + 1)) continue;
            var count = Math.Min(Math.Min(s.Pending, _options.PrefillChunk), budget);
            // A sequence part-way through its prompt may preempt younger ones (or two half-prefilled sequences could
            // wait on each other's blocks for ever); a new one waits for free blocks.
            if (!Reserve(s, s.Computed + count, preempt: s.Admitted)) continue;
            picked.Add((s, Entry(s, count)));
            s.InFlight = true;
            budget -= count;
        }
        if (picked.Count == 0) return null;
        var ordered = picked.Where(p => p.Entry.IsDecode).Concat(picked.Where(p => !p.Entry.IsDecode)).ToList();
        return new ScheduledBatch(_batches++, new BatchLayout(ordered.Select(p => p.Entry).ToList(), _options.BlockSize, _options.RingBlocks),
            ordered.Select(p => p.Sequence).ToList());
    }

    /// <summary>Records a finished batch: its tokens are computed; released sequences give their blocks back.</summary>
    public void Complete(ScheduledBatch batch)
    {
        for (var i = 0; i < batch.Sequences.Count; i++)
        {
            var s = batch.Sequences[i];
            s.InFlight = false;
            if (s.Removed) { Free(s); continue; }
            s.Computed = batch.Layout.Entries[i].Start + batch.Layout.Entries[i].Count;
        }
    }

    /// <summary>A batch that failed: its sequences go back to where they were, to be released by their owners.</summary>
    public void Abandon(ScheduledBatch batch)
    {
        foreach (var s in batch.Sequences)
        {
            s.InFlight = false;
            if (s.Removed) Free(s);
        }
    }

    private IEnumerable<ServingSequence> Ready() => _sequences.Values.Where(s => !s.InFlight && s.Pending > 0).ToList();

    private BatchEntry Entry(ServingSequence s, int count)
    {
        var last = s.Computed + count == s.Tokens.Count;
        var output = s.Want == BatchOutput.Score ? BatchOutput.Score : last ? s.Want : BatchOutput.None;
        return new BatchEntry(s.Computed, count, s.Blocks.Blocks.ToArray(), output, _ring is null ? null : s.Ring.Blocks.ToArray());
    }

    /// <summary>Blocks for the sequence to hold <paramref name="tokens"/> tokens, preempting younger ones if allowed.</summary>
    private bool Reserve(ServingSequence s, int tokens, bool preempt)
    {
        var missing = s.Blocks.Missing(tokens);
        int RingMissing() => _ring is null ? 0 : Math.Min(_options.RingBlocks, s.Blocks.Blocks.Count + missing) - s.Ring.Blocks.Count;
        while (_blocks.Free < missing || (_ring is not null && _ring.Free < RingMissing()))
        {
            if (!preempt || Victim(s) is not { } victim) return false;
            Preempt(victim);
        }
        for (var i = RingMissing(); i > 0; i--) s.Ring.Add(_ring!.Take());
        for (var i = 0; i < missing; i++) s.Blocks.Add(_blocks.Take());
        return true;
    }

    private ServingSequence? Victim(ServingSequence keep) => _sequences.Values
        .Where(v => v != keep && v.Admitted && !v.InFlight && v.Arrival > keep.Arrival)
        .MaxBy(v => v.Arrival);

    private void Preempt(ServingSequence victim)
    {
        Free(victim);
        victim.Computed = 0;
        victim.Preemptions++;
        Preemptions++;
    }

    private ServingSequence Get(Guid id) =>
        _sequences.TryGetValue(id, out var s) ? s : throw new InvalidOperationException($"request {id} is not running here");
}
