using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Serving;
using Xunit;

namespace OrleansLlm.Tests.Serving;

/// <summary>The scheduler's decisions: decode steps first, prompts in chunks within the budget, admission by free blocks, preemption.</summary>
public class BatchSchedulerTests
{
    private static BatchScheduler Scheduler(int blocks, int chunk = 8, int budget = 64, int waiting = 100) =>
        new(blocks, new SchedulerOptions { BlockSize = 4, PrefillChunk = chunk, MaxBatchTokens = budget, MaxWaiting = waiting });

    private static readonly Guid A = Guid.NewGuid(), B = Guid.NewGuid(), C = Guid.NewGuid();

    /// <summary>Runs one batch to completion and returns (sequence, start, count) of its entries.</summary>
    private static (Guid Id, int Start, int Count, BatchOutput Output)[] Step(BatchScheduler s)
    {
        var batch = s.Next() ?? throw new InvalidOperationException("no batch");
        s.Complete(batch);
        return batch.Sequences.Select((q, i) => (q.Id, batch.Layout.Entries[i].Start, batch.Layout.Entries[i].Count, batch.Layout.Entries[i].Output)).ToArray();
    }

    [Fact]
    public void APromptIsPrefilledInChunksAndOnlyItsLastChunkWantsAToken()
    {
        var s = Scheduler(blocks: 10);
        s.Start(A, Enumerable.Range(1, 20).ToArray(), 24, BatchOutput.Next);
        Assert.Equal([(A, 0, 8, BatchOutput.None)], Step(s));
        Assert.Equal([(A, 8, 8, BatchOutput.None)], Step(s));
        Assert.Equal([(A, 16, 4, BatchOutput.Next)], Step(s));
        Assert.Null(s.Next());
        s.Append(A, 99);
        Assert.Equal([(A, 20, 1, BatchOutput.Next)], Step(s));
        Assert.Equal(6, s.TotalBlocks - s.FreeBlocks);          // 21 tokens in blocks of 4
    }

    [Fact]
    public void DecodeStepsGoFirstAndPrefillSharesTheRestOfTheBudget()
    {
        var s = Scheduler(blocks: 20, chunk: 8, budget: 6);
        s.Start(A, [1, 2, 3], 8, BatchOutput.Next);
        Step(s);
        s.Append(A, 4);
        s.Start(B, Enumerable.Range(1, 12).ToArray(), 16, BatchOutput.Next);
        var batch = Step(s);
        Assert.Equal([(A, 3, 1, BatchOutput.Next), (B, 0, 5, BatchOutput.None)], batch);   // 1 decode + 5 of the budget
    }

    [Fact]
    public void ANewRequestWaitsForBlocksForItsWholePromptAndOlderOnesPreemptYoungerOnes()
    {
        var s = Scheduler(blocks: 5);                            // 4 usable blocks of 4 tokens
        s.Start(A, [1, 2, 3, 4, 5, 6], 16, BatchOutput.Next);      // 2 blocks
        Step(s);
        s.Start(B, [1, 2, 3, 4, 5], 16, BatchOutput.Next);         // 2 blocks, and one to spare is not there: waits
        Assert.Null(s.Next());
        s.Append(A, 7);
        Step(s);                                                   // A decodes at 6 (block 2 still has room)
        s.Append(A, 8);
        Assert.Equal([(A, 7, 1, BatchOutput.Next)], Step(s));     // position 7: still block 2
        s.Remove(A);
        Assert.Equal([(B, 0, 5, BatchOutput.Next)], Step(s));     // A's blocks back: B admitted
        s.Start(C, [9], 16, BatchOutput.Next);
        Assert.Equal([(C, 0, 1, BatchOutput.Next)], Step(s));     // C takes the third block
        for (var t = 0; t < 4; t++) { s.Append(C, 10 + t); Step(s); }  // position 4 takes the last free one
        Assert.Equal(0, s.FreeBlocks);
        // B needs a third block for position 8 and none is free: the younger C is preempted.
        for (var t = 5; t < 8; t++) { s.Append(B, t); Step(s); }
        s.Append(B, 8);
        s.Append(C, 14);
        var batch = Step(s);
        Assert.Equal([(B, 8, 1, BatchOutput.Next)], batch);
        Assert.Equal(1, s.Preemptions);
        // C computes all its tokens again once blocks allow.
        s.Remove(B);
        Assert.Equal([(C, 0, 6, BatchOutput.Next)], Step(s));
    }

    [Fact]
    public void ASequenceInABatchIsNeverPreemptedAndReleasingItMidBatchFreesItsBlocksAfter()
    {
        var s = Scheduler(blocks: 3);                             // 2 usable blocks
        s.Start(A, [1, 2, 3, 4], 8, BatchOutput.Next);
        var inFlight = s.Next()!;
        s.Start(B, [1], 8, BatchOutput.Next);
        Assert.Null(s.Next());                                     // B waits: A holds one block, B needs one + a spare
        s.Remove(A);
        Assert.Equal(1, s.FreeBlocks);                             // A's block is kept until its batch completes
        s.Complete(inFlight);
        Assert.Equal(2, s.FreeBlocks);
        Assert.Equal([(B, 0, 1, BatchOutput.Next)], Step(s));
    }

    [Fact]
    public void RequestsThatCouldNeverFitOrFindTheQueueFullAreRefused()
    {
        var s = Scheduler(blocks: 5, waiting: 1);
        var big = Assert.Throws<KvCapacityException>(() => s.Start(A, [1], 17, BatchOutput.Next));
        Assert.Contains("needs up to 17 tokens of KV cache; the whole cache holds 16", big.Message);
        s.Start(A, [1], 4, BatchOutput.Next);
        var busy = Assert.Throws<BusyException>(() => s.Start(B, [1], 4, BatchOutput.Next));
        Assert.Contains("busy", busy.Message);
    }

    [Fact]
    public void AScoredSequenceWantsScoresFromEveryChunk()
    {
        var s = Scheduler(blocks: 10, chunk: 4);
        s.Start(A, Enumerable.Range(1, 10).ToArray(), 10, BatchOutput.Score);
        Assert.Equal([(A, 0, 4, BatchOutput.Score)], Step(s));
        Assert.Equal([(A, 4, 4, BatchOutput.Score)], Step(s));
        Assert.Equal([(A, 8, 2, BatchOutput.Score)], Step(s));
        Assert.Null(s.Next());
    }

    [Fact]
    public void SlidingLayersHoldARingOfTheirWindowWhateverTheSequencesLength()
    {
        // Window 16, chunks of 4, blocks of 4: a step reads and writes at most 16 + 4 - 1 positions, 6 blocks.
        var options = new SchedulerOptions { BlockSize = 4, PrefillChunk = 4, MaxBatchTokens = 64, Window = 16, MaxRunning = 2 };
        Assert.Equal(6, options.RingBlocks);
        var s = new BatchScheduler(100, options);
        s.Start(A, Enumerable.Range(1, 30).ToArray(), 200, BatchOutput.Next);
        while (s.Next() is { } prefill)
        {
            Assert.All(prefill.Layout.Entries, e => Assert.Equal(Math.Min(6, (e.Start + e.Count + 3) / 4), e.Ring!.Count));
            s.Complete(prefill);
        }
        Assert.Equal(6, s.RingBlocksUsed);
        for (var t = 0; t < 90; t++)
        {
            s.Append(A, t);
            var batch = s.Next()!;
            var e = batch.Layout.Entries[0];
            // Every position the window sees maps to its own slot, and the new one to none of theirs.
            var seen = Enumerable.Range(Math.Max(0, e.Start - 15), Math.Min(16, e.Start + 1)).Select(p => e.LocalSlot(4, 6, p)).ToList();
            Assert.Equal(seen.Count, seen.Distinct().Count());
            s.Complete(batch);
        }
        Assert.Equal(6, s.RingBlocksUsed);                        // 120 tokens, still 6 ring blocks
        Assert.Equal(30, s.TotalBlocks - s.FreeBlocks);           // and 30 blocks for every other layer
        s.Remove(A);
        Assert.Equal(0, s.RingBlocksUsed);
        Assert.Equal(s.TotalBlocks, s.FreeBlocks);
    }
}
