using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Memory;

/// <summary>One sequence through a shard's batched path (a paged pool, as serving runs it): the prompt as one chunk, then greedy decode steps.</summary>
public static class PagedRun
{
    public const int BlockSize = 4;

    /// <summary>The greedy ids and every step's last-row logits (float32, owned by the caller).</summary>
    public static (int[] Ids, List<Tensor> Logits) Greedy(ShardModel model, int[] prompt, int steps)
    {
        var blocks = Blocks(prompt, steps);
        using var pool = model.NewPool(blocks.Length + 1, BlockSize);
        var ids = new List<int>();
        var logits = new List<Tensor>();
        var (start, rows) = (0, prompt);
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var layout = Layout(start, rows, blocks);
            using var batch = BatchTensors.Build(layout, model.Device);
            var (token, next) = Next(model, model.ForwardBatch(model.Embed(Ids(rows)), batch, pool), layout);
            logits.Add(next);
            ids.Add(token);
            (start, rows) = (start + rows.Length, [token]);
        }
        return (ids.ToArray(), logits);
    }

    /// <summary>
    /// exp(mean −log p(token | earlier tokens)) over ids as one batched chunk: <paramref name="output"/> Score scores the
    /// rows as a scored text (a sparse shard computes every row sparsely), None as a prefill (dense rows).
    /// </summary>
    public static double Perplexity(ShardModel model, int[] ids, BatchOutput output)
    {
        using var scope = NewDisposeScope();
        const int blockSize = 16;
        var blocks = Enumerable.Range(1, ids.Length / blockSize + 1).ToArray();
        using var pool = model.NewPool(blocks.Length + 1, blockSize);
        var layout = new BatchLayout([new BatchEntry(0, ids.Length, blocks, output)], blockSize);
        using var batch = BatchTensors.Build(layout, model.Device);
        var hidden = model.ForwardBatch(model.Embed(Ids(ids)), batch, pool);
        var logp = model.Logits(hidden.narrow(0, 0, ids.Length - 1)).to(ScalarType.Float64).log_softmax(1);
        var targets = Ids(ids[1..]).unsqueeze(1);
        return Math.Exp(-logp.gather(1, targets).mean().item<double>());
    }

    /// <summary>The pool blocks a sequence of the prompt and its steps takes (block 0 left free).</summary>
    public static int[] Blocks(int[] prompt, int steps) => Enumerable.Range(1, (prompt.Length + steps) / BlockSize + 1).ToArray();

    public static BatchLayout Layout(int start, int[] rows, int[] blocks) =>
        new([new BatchEntry(start, rows.Length, blocks, BatchOutput.Next)], BlockSize);

    public static Tensor Ids(int[] rows) => tensor(rows.Select(i => (long)i).ToArray());

    /// <summary>A step's greedy token and its last row's logits (float32, moved out of the step's dispose scope).</summary>
    public static (int Token, Tensor Logits) Next(ShardModel head, Tensor hidden, BatchLayout layout)
    {
        var (next, _) = BatchHead.Part(head, hidden, layout, [null]);
        var (tokens, _) = BatchHead.Finish(layout, [next], [null], [null], [new SampleRow(SamplingOptions.Greedy, 0)]);
        return (tokens[0], next!.MoveToOuterDisposeScope());
    }
}
