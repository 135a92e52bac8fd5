using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sequence;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>Ring, Striped and KV-Runahead prefill with N fake shards in one process equal the full forward.</summary>
public class SequenceParallelTests
{
    public static TheoryData<SequenceStrategy, int, int> Cases()
    {
        var data = new TheoryData<SequenceStrategy, int, int>();
        foreach (var s in Enum.GetValues<SequenceStrategy>())
            foreach (var (shards, length) in new[] { (2, 9), (3, 10), (4, 13), (4, 3), (3, 1) })
                data.Add(s, shards, length);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public async Task PrefillAndDistributedDecodeEqualTheFullModel(SequenceStrategy strategy, int shards, int length)
    {
        var c = RandomModel.Config();
        using var full = RandomModel.Load(c, ModelSlice.Full(c));
        var models = Enumerable.Range(0, shards).Select(_ => RandomModel.Load(c, ModelSlice.Full(c))).ToArray();
        var caches = models.Select(m => m.NewCache(length + 2)).ToArray();
        using var fullCache = full.NewCache(length + 2);
        try
        {
            var ids = Enumerable.Range(0, length).Select(i => (long)((i * 7 + 3) % c.VocabSize)).ToArray();
            using var want = full.Logits(full.ForwardLayers(full.Embed(tensor(ids)), fullCache));  // [S, V]
            var parts = Partitioner.Positions(length, shards, strategy, RunaheadCostModel.FromShape(c));
            Assert.Equal(Enumerable.Range(0, length).Select(i => (long)i), parts.SelectMany(p => p).Order());
            var ring = new FakeRing();
            var hidden = await Task.WhenAll(Enumerable.Range(0, shards).Select(i => Task.Run(() =>
                new SequencePrefill(models[i], caches[i], i, shards, ring.For(i), InlineRunner.Instance)
                    .RunAsync(parts[i].Select(p => ids[p]).ToArray(), parts[i], strategy)))).WaitAsync(TimeSpan.FromSeconds(60));
            for (var i = 0; i < shards; i++)
            {
                if (parts[i].Length == 0) continue;
                using var got = models[i].Logits(hidden[i]);
                using var rows = want.index_select(0, tensor(parts[i]));
                Assert.InRange(Fixture.MaxAbsDiff(got, rows), 0, 1e-5);
            }
            // Decode one token over the spread cache, its KV kept by the shard with the fewest tokens.
            var owner = Enumerable.Range(0, shards).MinBy(i => caches[i].Length);
            using var step = full.Logits(full.ForwardLayers(full.Embed(tensor(new long[] { 5 })), fullCache)).squeeze(0);
            using var logits = await SequenceDecode.StepAsync(models[owner], caches[owner], 5, length, (layer, q) =>
                Task.FromResult<IReadOnlyList<PartialAttention>>(Enumerable.Range(0, shards).Where(i => i != owner)
                    .Select(i => SequenceDecode.Attend(models[i], layer, caches[i][layer], q, length)).ToList()),
                InlineRunner.Instance);
            Assert.InRange(Fixture.MaxAbsDiff(logits, step), 0, 1e-5);
        }
        finally
        {
            foreach (var d in models.Cast<IDisposable>().Concat(caches)) d.Dispose();
        }
    }

    [Fact]
    public void RunaheadGivesEarlierShardsMoreTokens()
    {
        var sizes = Partitioner.RunaheadSizes(4096, 4, new RunaheadCostModel(1.0, 0.01, 0));
        Assert.Equal(4096, sizes.Sum());
        Assert.True(sizes[0] > sizes[1] && sizes[1] > sizes[2] && sizes[2] > sizes[3], string.Join(",", sizes));
        var cost = new RunaheadCostModel(1.0, 0.01, 0);
        var before = 0L;
        var times = sizes.Select(n => { var t = cost.Time(n, before); before += n; return t; }).ToArray();
        Assert.InRange(times.Max() / times.Min(), 1, 1.01);
    }

    [Fact]
    public void ACostModelFitsMeasuredTimes()
    {
        var truth = new RunaheadCostModel(2e-6, 3e-9, 0);
        var fitted = RunaheadCostModel.Fit([(128, 0, truth.Time(128, 0)), (512, 128, truth.Time(512, 128)), (300, 2000, truth.Time(300, 2000))]);
        Assert.Equal(truth.Alpha, fitted.Alpha, 1e-9);
        Assert.Equal(truth.Beta, fitted.Beta, 1e-12);
    }
}
