using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansLlm.Engine.Memory;

/// <summary>
/// TPI-LLM's sliding window over a shard's half-layer blocks: at most <see cref="Size"/> blocks are in memory (loaded
/// or loading). A loader thread brings the next blocks in, in the order a forward uses them (block 0 follows the last,
/// for the next step), while the compute runs the current one; a block the compute gives back is freed at once and
/// its place goes to the block <see cref="Size"/> ahead. A forward that starts elsewhere (one that failed half way)
/// moves the window there. A failed load fails the forward that wanted the block, and is tried again next time.
/// A freed block's buffers are refilled with the next block of its kind, so the window allocates nothing once it
/// runs: it holds ⌈size/2⌉ attention and ⌈size/2⌉ MLP blocks' buffers at most (size of each for an even size).
/// </summary>
public sealed class WeightWindow : IBlockStore
{
    private readonly IBlockLoader _loader;
    private readonly long _attentionBytes, _mlpBytes;
    private readonly Stack<BlockWeights> _spareAttention = new(), _spareMlp = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Slot> _slots = new();
    private readonly BlockingCollection<Slot> _queue = new();
    private readonly Thread _thread;
    private int _next;
    private long _loads;
    private double _loadMs, _stallMs;
    private bool _disposed;

    private sealed class Slot(int block)
    {
        public int Block { get; } = block;
        public TaskCompletionSource<BlockWeights> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Abandoned { get; set; }
    }

    /// <param name="attentionBytes">An attention block's bytes, for <see cref="HeldBytes"/> (known from the config).</param>
    /// <param name="mlpBytes">An MLP block's bytes.</param>
    public WeightWindow(IBlockLoader loader, int size, long attentionBytes, long mlpBytes)
    {
        if (size < 2)
            throw new ArgumentException($"a weight window holds at least 2 blocks (one computing while the next loads), got {size}");
        _loader = loader;
        Size = Math.Min(size, loader.Count);
        (_attentionBytes, _mlpBytes) = (attentionBytes, mlpBytes);
        _thread = new Thread(Run) { IsBackground = true, Name = "olm-weight-window" };
        _thread.Start();
        lock (_lock) Schedule(0);
    }

    /// <summary>Blocks in memory at most.</summary>
    public int Size { get; }

    public int Count => _loader.Count;

    public long HeldBytes => HeldFor(Size, _attentionBytes, _mlpBytes);

    /// <summary>Bytes a window of <paramref name="size"/> blocks holds at most: ⌈size/2⌉ buffers of each kind.</summary>
    public static long HeldFor(int size, long attentionBytes, long mlpBytes) => (size + 1) / 2 * (attentionBytes + mlpBytes);

    public WindowStats Stats
    {
        get { lock (_lock) return new WindowStats(Size, Count, _loads, _loadMs, _stallMs); }
    }

    public BlockWeights Acquire(int block)
    {
        Slot slot;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_slots.TryGetValue(block, out slot!))
            {
                Reposition(block);
                slot = _slots[block];
            }
        }
        var clock = slot.Done.Task.IsCompleted ? null : Stopwatch.StartNew();
        try
        {
            return slot.Done.Task.GetAwaiter().GetResult();
        }
        catch
        {
            lock (_lock)
                if (_slots.TryGetValue(block, out var current) && current == slot) _slots.Remove(block); // tried again next time
            throw;
        }
        finally
        {
            if (clock is not null) lock (_lock) _stallMs += clock.Elapsed.TotalMilliseconds;
        }
    }

    public void Release(int block)
    {
        lock (_lock)
        {
            if (_disposed || !_slots.Remove(block, out var slot)) return;
            Abandon(slot);
            Enqueue(_next);
            _next = (_next + 1) % Count;
        }
    }

    /// <summary>Drops the window and starts it again at <paramref name="block"/>.</summary>
    private void Reposition(int block)
    {
        foreach (var slot in _slots.Values) Abandon(slot);
        _slots.Clear();
        Schedule(block);
    }

    private void Schedule(int first)
    {
        for (var i = 0; i < Size; i++) Enqueue((first + i) % Count);
        _next = (first + Size) % Count;
    }

    private void Enqueue(int block)
    {
        var slot = _slots[block] = new Slot(block);
        _queue.Add(slot);
    }

    /// <summary>Gives a loaded block's buffers to the next load of its kind; one still loading is given by the loader when it is done.</summary>
    private void Abandon(Slot slot)
    {
        slot.Abandoned = true;
        if (slot.Done.Task.IsCompletedSuccessfully) Spare(slot.Done.Task.Result);
    }

    private void Spare(BlockWeights weights)
    {
        if (_disposed) weights.Dispose();
        else (BlockWeights.IsAttention(weights.Block) ? _spareAttention : _spareMlp).Push(weights);
    }

    private void Run()
    {
        foreach (var slot in _queue.GetConsumingEnumerable())
        {
            BlockWeights? reuse;
            lock (_lock)
            {
                if (slot.Abandoned) { slot.Done.TrySetCanceled(); continue; }
                var spare = BlockWeights.IsAttention(slot.Block) ? _spareAttention : _spareMlp;
                reuse = spare.Count > 0 ? spare.Pop() : null;
            }
            var clock = Stopwatch.StartNew();
            BlockWeights? loaded = null;
            Exception? error = null;
            try { loaded = _loader.Load(slot.Block, reuse); }
            catch (Exception e) { error = e; }
            lock (_lock)
            {
                (_loads, _loadMs) = (_loads + 1, _loadMs + clock.Elapsed.TotalMilliseconds);
                if (error is not null) slot.Done.TrySetException(error);
                else if (slot.Abandoned) { Spare(loaded!); slot.Done.TrySetCanceled(); }
                else slot.Done.TrySetResult(loaded!);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var slot in _slots.Values) Abandon(slot);
            _slots.Clear();
            foreach (var spare in _spareAttention.Concat(_spareMlp)) spare.Dispose();
            _spareAttention.Clear();
            _spareMlp.Clear();
        }
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
        _loader.Dispose();
    }
}
