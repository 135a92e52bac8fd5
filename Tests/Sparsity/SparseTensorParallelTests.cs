using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Parallel;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Engine.Sparsity;
using OrleansLlm.Tests.Engine;
using OrleansLlm.Tests.Memory;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>
/// Sparse decode on tensor-parallel ranks (even and uneven cuts of the demo model's heads and neurons, partials summed
/// as the grains sum them) gives one sparse shard's greedy ids and logits: every rank makes the choice one shard makes
/// (learned predictors with their lookahead, thresholds, a fixed choice) and computes its share of it.
/// </summary>
public class SparseTensorParallelTests(SparsifiedModel model) : IClassFixture<SparsifiedModel>
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 379, 302, 267];

    public static TheoryData<SparsityMode, (int, int)[], (int, int)[]> Cuts => new()
    {
        { SparsityMode.Learned, [(0, 2), (2, 4)], [(0, 86), (86, 172)] },
        { SparsityMode.Threshold, [(0, 2), (2, 4)], [(0, 86), (86, 172)] },
        { SparsityMode.Fixed, [(0, 2), (2, 4)], [(0, 86), (86, 172)] },
        { SparsityMode.Learned, [(0, 1), (1, 3), (3, 4)], [(0, 40), (40, 150), (150, 172)] },
    };

    [Theory, MemberData(nameof(Cuts))]
    public async Task RanksGiveOneSparseShardsTokens(SparsityMode mode, (int, int)[] kv, (int, int)[] ffn)
    {
        var c = ModelConfig.Load(model.Dir);
        var options = new SparsityOptions { Sparsity = 0.5, Mode = mode, ModelDir = model.Dir };
        using var one = SparseDecodeTests.Load(model.Dir, options);
        var (want, wantLogits) = PagedRun.Greedy(one, Prompt, 6);
        var ranks = kv.Zip(ffn, (k, f) => SparseDecodeTests.Load(model.Dir, options, RandomModel.Slice(c, k, f))).ToArray();
        try
        {
            var (got, gotLogits) = await Greedy(ranks, Prompt, 6);
            Assert.Equal(want, got);
            for (var i = 0; i < want.Length; i++) Assert.InRange(Fixture.MaxAbsDiff(wantLogits[i], gotLogits[i]), 0, 1e-4);
        }
        finally
        {
            foreach (var r in ranks) r.Dispose();
        }
    }

    /// <summary>PagedRun.Greedy over ranks: each step's hidden states from TensorParallelForward, the head on rank 0.</summary>
    private static async Task<(int[] Ids, List<Tensor> Logits)> Greedy(ShardModel[] ranks, int[] prompt, int steps)
    {
        var blocks = PagedRun.Blocks(prompt, steps);
        var pools = ranks.Select(r => r.NewPool(blocks.Length + 1, PagedRun.BlockSize)).ToArray();
        try
        {
            var ids = new List<int>();
            var logits = new List<Tensor>();
            var (start, rows) = (0, prompt);
            for (var step = 0; step < steps; step++)
            {
                var layout = PagedRun.Layout(start, rows, blocks);
                using var batch = BatchTensors.Build(layout, CPU);
                using var input = PagedRun.Ids(rows);
                var group = new FakeAllReduce(ranks.Length);
                var hidden = await Task.WhenAll(ranks.Select((m, r) =>
                    TensorParallelForward.RunAsync(m, m.Embed(input), batch, pools[r], group.For(r), InlineRunner.Instance)));
                using (var scope = NewDisposeScope())
                {
                    var (token, next) = PagedRun.Next(ranks[0], hidden[0], layout);
                    logits.Add(next);
                    ids.Add(token);
                    (start, rows) = (start + rows.Length, [token]);
                }
                foreach (var h in hidden) h.Dispose();
            }
            return (ids.ToArray(), logits);
        }
        finally
        {
            foreach (var p in pools) p.Dispose();
        }
    }
}
