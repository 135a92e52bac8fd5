using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansLlm.Engine.Memory;

/// <summary>
/// TPI-LLM's sliding window over a shard's half-layer blocks: at most <see cref="Size"/> blocks are in memory (loaded
/// or loading). A loader thread brings the next blocks in, in the order a forward uses them (block 0 follows the last,
/// for the next step), while the compute runs the current one; a block the compute gives back is freed at once and
/// its place goes to the block <see cref="Size"/> ahead. A forward that starts elsewhere (one that failed half way)
/// moves the window there. A failed load fails the forward that wanted the block, and is tried again next time.
/// </summary>
public sealed class WeightWindow : IBlockStore
{
    private readonly IBlockLoader _loader;
    private readonly long _maxBlockBytes;
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

    /// <param name="maxBlockBytes">The largest block's bytes, for <see cref="HeldBytes"/> (known from the config).</param>
    public WeightWindow(IBlockLoader loader, int size, long maxBlockBytes)
    {
        if (size < 2)
            throw new ArgumentException($"a weight window holds at least 2 blocks (one computing while the next loads), got {size}");
        _loader = loader;
        Size = Math.Min(size, loader.Count);
        _maxBlockBytes = maxBlockBytes;
        _thread = new Thread(Run) { IsBackground = true, Name = "olm-weight-window" };
        _thread.Start();
        lock (_lock) Schedule(0);
    }

    /// <summary>Blocks in memory at most.</summary>
    public int Size { get; }

    public int Count => _loader.Count;

    public long HeldBytes => Size * _maxBlockBytes;

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

    /// <summary>Frees a loaded block now; one still loading is freed by the loader when it is done.</summary>
    private static void Abandon(Slot slot)
    {
        slot.Abandoned = true;
        if (slot.Done.Task.IsCompletedSuccessfully) slot.Done.Task.Result.Dispose();
    }

    private void Run()
    {
        foreach (var slot in _queue.GetConsumingEnumerable())
        {
            lock (_lock)
                if (slot.Abandoned) { slot.Done.TrySetCanceled(); continue; }
            var clock = Stopwatch.StartNew();
            BlockWeights? loaded = null;
            Exception? error = null;
            try { loaded = _loader.Load(slot.Block); }
            catch (Exception e) { error = e; }
            lock (_lock)
            {
                (_loads, _loadMs) = (_loads + 1, _loadMs + clock.Elapsed.TotalMilliseconds);
                if (error is not null) slot.Done.TrySetException(error);
                else if (slot.Abandoned) { loaded!.Dispose(); slot.Done.TrySetCanceled(); }
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
        }
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
        _loader.Dispose();
    }
}
