using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Memory;

/// <summary>One sequence through a shard's batched path (a paged pool, as serving runs it): the prompt as one chunk, then greedy decode steps.</summary>
public static class PagedRun
{
    /// <summary>The greedy ids and every step's last-row logits (float32, owned by the caller).</summary>
    public static (int[] Ids, List<Tensor> Logits) Greedy(ShardModel model, int[] prompt, int steps)
    {
        const int blockSize = 4;
        var blocks = Enumerable.Range(1, (prompt.Length + steps) / blockSize + 1).ToArray();
        using var pool = model.NewPool(blocks.Length + 1, blockSize);
        var ids = new List<int>();
        var logits = new List<Tensor>();
        var (start, rows) = (0, prompt);
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var layout = new BatchLayout([new BatchEntry(start, rows.Length, blocks, BatchOutput.Next)], blockSize);
            using var batch = BatchTensors.Build(layout, model.Device);
            var hidden = model.ForwardBatch(model.Embed(tensor(rows.Select(i => (long)i).ToArray())), batch, pool);
            var (next, _) = BatchHead.Part(model, hidden, layout, [null]);
            var (tokens, _) = BatchHead.Finish(layout, [next], [null], [null], [new SampleRow(SamplingOptions.Greedy, 0)]);
            logits.Add(next!.MoveToOuterDisposeScope());
            ids.Add(tokens[0]);
            (start, rows) = (start + rows.Length, [tokens[0]]);
        }
        return (ids.ToArray(), logits);
    }
}
