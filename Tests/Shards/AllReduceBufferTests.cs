using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Grains.Shards;
using Xunit;

namespace OrleansLlm.Tests.Shards;

/// <summary>The buffer where a shard's all-reduce partials meet: any arrival order, rank-order sums, no leftovers.</summary>
public class AllReduceBufferTests
{
    private static TensorBytes Partial(int rank) => new([1], "Int32", BitConverter.GetBytes(rank));

    /// <summary>A sum that records the ranks in the order it was given them.</summary>
    private static (AllReduceBuffer Buffer, List<int[]> Sums) Recording()
    {
        var sums = new List<int[]>();
        var buffer = new AllReduceBuffer(partials =>
        {
            var ranks = partials.Select(p => BitConverter.ToInt32(p.Data)).ToArray();
            lock (sums) sums.Add(ranks);
            return Task.FromResult(new TensorBytes([1], "Int32", BitConverter.GetBytes(ranks.Sum())));
        });
        return (buffer, sums);
    }

    [Fact]
    public async Task PartialsInAnyOrderAreSummedInRankOrderOnce()
    {
        var (buffer, sums) = Recording();
        var first = new[] { 2, 0, 3 }.Select(rank => buffer.Add(7, 5, rank, 4, Partial(rank))).ToArray();
        Assert.All(first, t => Assert.False(t.IsCompleted));
        Assert.Empty(sums);
        var results = await Task.WhenAll([.. first, buffer.Add(7, 5, 1, 4, Partial(1))]);
        Assert.All(results, r => Assert.Equal(6, BitConverter.ToInt32(r.Data)));
        Assert.Equal([[0, 1, 2, 3]], sums);
    }

    [Fact]
    public async Task OperationsOfOneBatchAndOfOthersStayApart()
    {
        var (buffer, sums) = Recording();
        var early = buffer.Add(1, 1, 1, 2, Partial(1));     // a peer ahead of this shard: operation 1 before 0
        var first = buffer.Add(1, 0, 1, 2, Partial(1));
        var other = buffer.Add(2, 0, 0, 2, Partial(0));
        Assert.False(early.IsCompleted || first.IsCompleted || other.IsCompleted);
        await buffer.Add(1, 0, 0, 2, Partial(0));
        await first;
        Assert.False(early.IsCompleted);
        await buffer.Add(1, 1, 0, 2, Partial(0));
        await early;
        Assert.False(other.IsCompleted);
        Assert.Equal(2, sums.Count);
    }

    [Fact]
    public async Task ARepeatedRankIsRefusedAndAnAbortedBatchFailsItsWaitersAndLaterOperations()
    {
        var (buffer, _) = Recording();
        var waiting = buffer.Add(3, 0, 0, 3, Partial(0));
        var repeat = Record.Exception(() => { _ = buffer.Add(3, 0, 0, 3, Partial(0)); });
        Assert.IsType<OlmException>(repeat);
        buffer.Abort(3, "rank 2 failed: out of memory");
        Assert.Equal("rank 2 failed: out of memory", (await Assert.ThrowsAsync<OlmException>(() => waiting)).Message);
        // A late partial of the aborted batch fails at once instead of waiting for ranks that will never come.
        await Assert.ThrowsAsync<OlmException>(() => buffer.Add(3, 1, 1, 3, Partial(1)));
        Assert.False(buffer.Add(4, 0, 1, 3, Partial(1)).IsCompleted);
    }

    [Fact]
    public async Task AFailedSumFailsEveryWaiter()
    {
        var buffer = new AllReduceBuffer(_ => Task.FromException<TensorBytes>(new OlmException("device lost")));
        var a = buffer.Add(0, 0, 0, 2, Partial(0));
        var b = buffer.Add(0, 0, 1, 2, Partial(1));
        Assert.Equal("device lost", (await Assert.ThrowsAsync<OlmException>(() => a)).Message);
        Assert.Equal("device lost", (await Assert.ThrowsAsync<OlmException>(() => b)).Message);
    }

    [Fact]
    public async Task ClosingFailsEveryWaiterAsUnavailableAndRefusesLaterPartials()
    {
        // A rank whose peer died after taking its partial waits for the peer's: unloading the shard must end that wait.
        var (buffer, sums) = Recording();
        var waiting = new[] { buffer.Add(4, 0, 1, 2, Partial(1)), buffer.Add(5, 3, 0, 3, Partial(0)) };
        buffer.Close("shard x was unloaded during an all-reduce");
        foreach (var w in waiting)
        {
            var e = await Assert.ThrowsAsync<OlmException>(() => w);
            Assert.Equal(OlmErrorKind.Unavailable, e.Kind);
        }
        var late = await Assert.ThrowsAsync<OlmException>(() => buffer.Add(4, 0, 0, 2, Partial(0)));
        Assert.Equal("shard x was unloaded during an all-reduce", late.Message);
        Assert.Empty(sums);
    }
}
