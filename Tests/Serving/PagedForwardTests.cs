using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using OrleansLlm.Tests.Engine;
using Xunit;
using OrleansLlm.Engine;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Serving;

/// <summary>
/// A batch of sequences through the paged pool (decode steps and prefill chunks of different lengths together) gives
/// each sequence the logits it gets alone through the contiguous cache, and the batched head draws the same tokens.
/// </summary>
public class PagedForwardTests
{
    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    public void MixedBatchesEqualEachSequenceAlone(string name)
    {
        var f = new Fixture(name);
        using var model = f.LoadModel();
        using var pool = model.NewPool(blocks: 40, blockSize: 4);
        // Three sequences: a long one prefilled in two chunks, a short one, and one that decodes beside the others.
        int[][] prompts = [[.. Enumerable.Range(3, 23)], [7, 8, 9], [40, 41, 42, 43, 44, 45]];
        int[][] blocks = [[1, 2, 3, 4, 5, 6, 7], [8, 9], [10, 11, 12]];
        var reference = prompts.Select(p => Alone(model, p)).ToArray();

        Check(model, pool, [new BatchEntry(0, 6, blocks[2], BatchOutput.Next), new BatchEntry(0, 12, blocks[0], BatchOutput.None)],
            [prompts[2], prompts[0][..12]], []);
        var got = Check(model, pool,
            [new BatchEntry(12, 11, blocks[0], BatchOutput.Next), new BatchEntry(0, 3, blocks[1], BatchOutput.Next)],
            [prompts[0][12..], prompts[1]], [reference[0].Logits, reference[1].Logits]);
        Assert.Equal([reference[0].Next, reference[1].Next], got);
        // Decode steps of all three at once, each at its own length.
        var next = Check(model, pool,
            [new BatchEntry(23, 1, blocks[0], BatchOutput.Next), new BatchEntry(3, 1, blocks[1], BatchOutput.Next),
             new BatchEntry(6, 1, blocks[2], BatchOutput.Next)],
            [[reference[0].Next], [reference[1].Next], [reference[2].Next]],
            [.. reference.Select((r, i) => Alone(model, [.. prompts[i], r.Next]).Logits)]);
        Assert.Equal(reference.Select((r, i) => Alone(model, [.. prompts[i], r.Next]).Next), next);
    }

    /// <summary>
    /// A CPU pool grows into its reservation: only the blocks batches reached are in memory (block 0, the scratch block,
    /// from the start), and whatever the unreached storage held before (here NaN, as reused memory might) changes no logit.
    /// </summary>
    [Fact]
    public void ACpuPoolHoldsTheBlocksBatchesReachedAndIgnoresWhatTheRestHeld()
    {
        var f = new Fixture("llama-tiny");
        using var model = f.LoadModel();
        using var pool = model.NewPool(blocks: 40, blockSize: 4);
        var blockBytes = pool.Bytes / 40;
        Assert.Equal(blockBytes, pool.ResidentBytes);
        foreach (var t in pool.Keys.Concat(pool.Values))
            using (var rest = t.narrow(1, 4, t.shape[1] - 4)) rest.fill_(double.NaN);
        int[] prompt = [.. Enumerable.Range(3, 23)];
        var reference = Alone(model, prompt);
        var got = Check(model, pool, [new BatchEntry(0, prompt.Length, [1, 2, 3, 4, 5, 6, 7], BatchOutput.Next)], [prompt], [reference.Logits]);
        Assert.Equal([reference.Next], got);
        Assert.Equal(8 * blockBytes, pool.ResidentBytes);
        Check(model, pool, [new BatchEntry(0, 3, [30], BatchOutput.Next)], [[5, 6, 7]], [Alone(model, [5, 6, 7]).Logits]);
        Assert.Equal(31 * blockBytes, pool.ResidentBytes);
    }

    /// <summary>The sequence alone through the contiguous cache: the last position's logits and the greedy token.</summary>
    private static (Tensor Logits, int Next) Alone(ShardModel model, int[] ids)
    {
        using var cache = model.NewCache(64);
        using var hidden = model.ForwardLayers(model.Embed(tensor(ids.Select(i => (long)i).ToArray())), cache);
        var logits = model.Logits(hidden.narrow(0, ids.Length - 1, 1));
        return (logits, (int)logits.argmax().item<long>());
    }

    /// <summary>
    /// Runs one batch (entries given in any order, their new token ids in <paramref name="rows"/>); checks the logits of
    /// each entry that wants a token against <paramref name="want"/> (same order) and returns their greedy tokens.
    /// </summary>
    private static int[] Check(ShardModel model, PagedKvPool pool, BatchEntry[] entries, int[][] rows, Tensor[] want)
    {
        var layout = new BatchLayout(entries, pool.BlockSize);
        var order = layout.Entries.Select(e => Array.IndexOf(entries, e)).ToArray();    // layout position -> given index
        using var batch = BatchTensors.Build(layout, CPU);
        var ids = order.SelectMany(k => rows[k]).Select(i => (long)i).ToArray();
        using var hidden = model.ForwardBatch(model.Embed(tensor(ids)), batch, pool);
        var (next, _) = BatchHead.Part(model, hidden, layout, new int[]?[entries.Length]);
        var samples = layout.Entries.Select(e => e.Output == BatchOutput.Next ? new SampleRow(SamplingOptions.Greedy, 0) : null).ToArray();
        var (tokens, _) = BatchHead.Finish(layout, [next], [null], new int[]?[entries.Length], samples);
        var nextRowOf = order.Where(k => entries[k].Output == BatchOutput.Next).Select((k, row) => (k, row)).ToDictionary(x => x.k, x => x.row);
        var wanting = Enumerable.Range(0, entries.Length).Where(k => entries[k].Output == BatchOutput.Next).ToArray();
        for (var j = 0; j < want.Length; j++)
            Assert.InRange(Fixture.MaxAbsDiff(next![nextRowOf[wanting[j]]], want[j].squeeze(0)), 0, 1e-4);
        return wanting.Select(k => tokens[Array.IndexOf(order, k)]).ToArray();
    }
}
