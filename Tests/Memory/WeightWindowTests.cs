using OrleansLlm.Engine.Memory;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Memory;

/// <summary>The sliding window's schedule against a fake loader that counts the blocks alive at any moment.</summary>
public class WeightWindowTests
{
    /// <summary>Blocks of one scalar each (the block's index); remembers the order of loads and the most alive at once.</summary>
    private sealed class FakeLoader(int count, Func<int, bool>? fails = null) : IBlockLoader
    {
        private readonly Lock _lock = new();
        private readonly List<Tensor> _made = [];
        public readonly List<int> Loads = [];
        public int MostAlive;

        /// <summary>Blocks loaded and not yet freed (a freed block's tensor has no handle left).</summary>
        public int Alive { get { lock (_lock) return _made.Count(t => !t.IsInvalid); } }

        public int Count => count;

        public BlockWeights Load(int block, BlockWeights? reuse = null)
        {
            Thread.Sleep(2); // long enough for compute to catch up with the loader sometimes
            reuse?.Dispose(); // these blocks are made new each time (the model tests cover refills)
            if (fails?.Invoke(block) == true) throw new IOException($"block {block} unreadable");
            var t = full(1, (float)block).DetachFromDisposeScope();
            lock (_lock)
            {
                Loads.Add(block);
                _made.Add(t);
                MostAlive = Math.Max(MostAlive, _made.Count(m => !m.IsInvalid));
            }
            return new BlockWeights(block, OrleansLlm.Engine.Model.Layers.Lin.Float(t), [t]);
        }

        public void Dispose() { }
    }

    private static float Value(BlockWeights w) => ((OrleansLlm.Engine.Model.Layers.Lin)w.Half).Weight.item<float>();

    [Theory]
    [InlineData(6, 2)]
    [InlineData(6, 3)]
    [InlineData(10, 4)]
    public void StepsGetEveryBlockInOrderWithNoMoreThanTheWindowAlive(int count, int size)
    {
        var loader = new FakeLoader(count);
        using (var window = new WeightWindow(loader, size, attentionBytes: 4, mlpBytes: 4))
        {
            for (var step = 0; step < 3; step++)
                for (var b = 0; b < count; b++)
                {
                    Assert.Equal(b, Value(window.Acquire(b)));
                    window.Release(b);
                }
            // An even window holds size/2 blocks of each kind; an odd one may keep a spare of the kind it had one more of.
            Assert.True(loader.MostAlive <= 2 * ((size + 1) / 2), $"{loader.MostAlive} blocks alive with a window of {size}");
            Assert.Equal((size + 1) / 2 * 8, window.HeldBytes);
            // Each step loads every block once, in order, the next step's first blocks right after the last.
            Assert.Equal(Enumerable.Range(0, 3 * count).Select(i => i % count), loader.Loads.Take(3 * count));
        }
        Assert.Equal(0, loader.Alive);
    }

    [Fact]
    public void AFailedLoadFailsItsStepAndIsTriedAgainNextTime()
    {
        var failing = true;
        var loader = new FakeLoader(4, b => b == 2 && Volatile.Read(ref failing));
        using var window = new WeightWindow(loader, 2, attentionBytes: 4, mlpBytes: 4);
        for (var b = 0; b < 2; b++) { window.Acquire(b); window.Release(b); }
        var e = Assert.Throws<IOException>(() => window.Acquire(2));
        Assert.Equal("block 2 unreadable", e.Message);
        window.Release(2);                               // a forward gives back what it took, even when it failed
        Volatile.Write(ref failing, false);
        for (var b = 0; b < 4; b++)                      // the next step starts at block 0 again
        {
            Assert.Equal(b, Value(window.Acquire(b)));
            window.Release(b);
        }
        Assert.True(loader.MostAlive <= 2);
    }

    [Fact]
    public void AStepThatStartsElsewhereMovesTheWindow()
    {
        var loader = new FakeLoader(8);
        using var window = new WeightWindow(loader, 3, attentionBytes: 4, mlpBytes: 4);
        window.Acquire(0);
        window.Release(0);
        Assert.Equal(5, Value(window.Acquire(5)));       // not in the window: it starts again at 5
        window.Release(5);
        Assert.Equal(6, Value(window.Acquire(6)));
        window.Release(6);
        Assert.True(loader.MostAlive <= 4);
        Assert.Equal(3, window.Stats.Window);
    }

    [Fact]
    public void AWindowOfOneIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new WeightWindow(new FakeLoader(4), 1, 4, 4));
        Assert.Contains("at least 2 blocks", e.Message);
    }
}
