using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Model;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Batching;

/// <summary>
/// The output head over a batch, split the way a tensor-parallel last stage splits its vocabulary rows: each shard
/// makes its part (<see cref="Part"/>) from its rows of the head, and the master joins the parts (<see cref="Finish"/>):
/// the next token of every Next entry, drawn from the joined logits, and the summed −log p of every Score entry's
/// targets from per-row log-sum-exps, so a long scored chunk never moves its full logits.
/// </summary>
public static class BatchHead
{
    /// <summary>
    /// This shard's part: logits [entries wanting Next, its vocabulary rows] (float32) and, per scored row, the
    /// log-sum-exp over its rows and the target's logit (−inf when the target is outside them) as [scored rows, 2]
    /// float64. Targets hold one id per row of each Score entry (−1 for a row with none). Ranks of a
    /// <paramref name="collective"/> join their Next parts on the devices: each gets the whole vocabulary's logits.
    /// </summary>
    public static (Tensor? Next, Tensor? Scores) Part(ShardModel model, Tensor hidden, BatchLayout layout,
        IReadOnlyList<int[]?> targets, Parallel.DeviceCollective? collective = null)
    {
        using var scope = NewDisposeScope();
        var nextRows = Rows(layout, BatchOutput.Next);
        var scoreRows = Rows(layout, BatchOutput.Score);
        Tensor? next = null, scores = null;
        if (nextRows.Length > 0)
        {
            next = model.Logits(RowsOf(hidden, nextRows));
            if (collective is { } c) next = Joined(model, next, c);
            next = next.MoveToOuterDisposeScope();
        }
        if (scoreRows.Length > 0)
        {
            var logits = model.Logits(RowsOf(hidden, scoreRows)).to(ScalarType.Float64);
            var (v0, v1) = model.Slice.VocabRange(model.Config);
            var wanted = ScoreTargets(layout, targets);
            var mine = wanted.Select(t => t >= v0 && t < v1).ToArray();
            var local = tensor(wanted.Select((t, i) => mine[i] ? (long)(t - v0) : 0L).ToArray()).to(logits.device);
            var target = logits.gather(1, local.unsqueeze(1)).squeeze(1)
                .masked_fill(tensor(mine).to(logits.device).logical_not(), Scalars.NegativeInfinity);
            scores = stack([logits.logsumexp(1), target], 1).MoveToOuterDisposeScope();
        }
        return (next, scores);
    }

    /// <summary>
    /// The batch's outputs from every shard's part, in vocabulary order: per entry the next token (−1 where none was
    /// wanted) and the summed −log p of its targets (0 where none).
    /// </summary>
    public static (int[] Tokens, double[] Nll) Finish(BatchLayout layout, IReadOnlyList<Tensor?> nextParts,
        IReadOnlyList<Tensor?> scoreParts, IReadOnlyList<int[]?> targets, IReadOnlyList<SampleRow?> samples)
    {
        using var scope = NewDisposeScope();
        var tokens = Enumerable.Repeat(-1, layout.Entries.Count).ToArray();
        var nll = new double[layout.Entries.Count];
        var nextEntries = Entries(layout, BatchOutput.Next);
        if (nextEntries.Length > 0)
        {
            var device = nextParts[0]!.device;
            var logits = cat(nextParts.Select(p => p!.to(device)).ToArray(), 1);
            var drawn = TokenSampler.Sample(logits, nextEntries.Select(i => samples[i]!).ToArray());
            for (var k = 0; k < nextEntries.Length; k++) tokens[nextEntries[k]] = drawn[k];
        }
        if (Entries(layout, BatchOutput.Score).Length > 0)
        {
            var parts = stack(scoreParts.Select(p => p!.cpu()).ToArray(), 0);               // [R, rows, 2]
            var rowNll = parts.select(2, 0).logsumexp(0).sub(parts.select(2, 1).amax([0L])); // [rows]
            var wanted = ScoreTargets(layout, targets);
            var values = rowNll.data<double>().ToArray();
            var row = 0;
            foreach (var i in Entries(layout, BatchOutput.Score))
                for (var r = 0; r < layout.Entries[i].Count; r++, row++)
                    if (wanted[row] >= 0) nll[i] += values[row];
        }
        return (tokens, nll);
    }

    /// <summary>
    /// The rows of hidden named by rows: a view when they run in order (a decode step's rows: no index to upload,
    /// whose blocking copy would make the host wait for the step before it queues the head), else a gather.
    /// </summary>
    private static Tensor RowsOf(Tensor hidden, long[] rows)
    {
        var inOrder = rows.Select((r, i) => r == rows[0] + i).All(b => b);
        return inOrder ? hidden.narrow(0, rows[0], rows.Length) : hidden.index_select(0, tensor(rows).to(hidden.device));
    }

    /// <summary>A rank's vocabulary columns placed in zeros of the whole width, summed over the ranks.</summary>
    private static Tensor Joined(ShardModel model, Tensor part, Parallel.DeviceCollective c)
    {
        var (v0, v1) = model.Slice.VocabRange(model.Config);
        var whole = zeros([part.shape[0], model.Config.VocabSize], ScalarType.Float32, part.device);
        whole.narrow(1, v0, v1 - v0).copy_(part);
        return Model.Layers.LayerCalls.AllReduceSum(whole, c.Clique, c.Rank);
    }

    private static int[] Entries(BatchLayout layout, BatchOutput output) =>
        Enumerable.Range(0, layout.Entries.Count).Where(i => layout.Entries[i].Output == output).ToArray();

    private static long[] Rows(BatchLayout layout, BatchOutput output) => Entries(layout, output)
        .SelectMany(i => output == BatchOutput.Next
            ? [layout.RowOf[i] + layout.Entries[i].Count - 1]
            : Enumerable.Range(layout.RowOf[i], layout.Entries[i].Count))
        .Select(r => (long)r).ToArray();

    /// <summary>The target of every scored row in row order (−1 where a row has none: 0 is used in its place).</summary>
    private static int[] ScoreTargets(BatchLayout layout, IReadOnlyList<int[]?> targets) =>
        Entries(layout, BatchOutput.Score).SelectMany(i =>
        {
            var t = targets[i] ?? throw new ArgumentException($"scored entry {i} has no targets");
            if (t.Length != layout.Entries[i].Count) throw new ArgumentException($"scored entry {i} has {t.Length} targets for {layout.Entries[i].Count} rows");
            return t;
        }).ToArray();
}
