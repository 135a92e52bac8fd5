using OrleansLlm.Engine.Model;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>Attention over key blocks, merged through log-sum-exp, equals attention over all keys.</summary>
public class PartialAttentionTests
{
    private const int Heads = 6, KvHeads = 2, Dim = 8;

    /// <summary>Independent reference: causal attention in float64 from the definition.</summary>
    private static Tensor Reference(Tensor q, Tensor k, Tensor v, Tensor qPos, Tensor kPos)
    {
        var g = Heads / KvHeads;
        var kx = k.to(ScalarType.Float64).repeat_interleave(g, 0);
        var vx = v.to(ScalarType.Float64).repeat_interleave(g, 0);
        var scores = matmul(q.to(ScalarType.Float64), kx.transpose(1, 2)).div(Math.Sqrt(Dim));
        var hidden = kPos.unsqueeze(0).gt(qPos.unsqueeze(1));
        return matmul(scores.masked_fill(hidden, double.NegativeInfinity).softmax(-1), vx);
    }

    private static (Tensor Q, Tensor K, Tensor V) Random(long s, int seed)
    {
        var g = new Generator((ulong)seed);
        return (randn([Heads, s, Dim], generator: g), randn([KvHeads, s, Dim], generator: g), randn([KvHeads, s, Dim], generator: g));
    }

    public static TheoryData<long[][]> Partitions => new()
    {
        new[] { new long[] { 0, 1, 2, 3, 4 }, [5, 6, 7, 8], [9, 10, 11] },      // contiguous blocks (ring)
        new[] { new long[] { 0, 3, 6, 9 }, [1, 4, 7, 10], [2, 5, 8, 11] },      // stripes
        new[] { new long[] { 0, 1, 2, 3, 4, 5, 6 }, [7, 8, 9], [10, 11] },      // uneven (runahead)
        new[] { new long[] { 0 }, [1], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
    };

    [Theory, MemberData(nameof(Partitions))]
    public void QueryAndKeyBlocksMergedEqualFullAttention(long[][] blocks)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Random(12, 1);
        var all = arange(12L);
        var want = Reference(q, k, v, all, all);
        foreach (var qb in blocks)
        {
            var qi = tensor(qb);
            PartialAttention? merged = null;
            foreach (var kb in blocks)
            {
                var ki = tensor(kb);
                var part = AttentionKernels.Partial(q.index_select(1, qi), k.index_select(1, ki), v.index_select(1, ki), qi, ki);
                merged = merged is null ? part : PartialAttention.Merge(merged, part);
            }
            Assert.InRange(Fixture.MaxAbsDiff(merged!.Output, want.index_select(1, qi)), 0, 1e-5);
        }
    }

    [Fact]
    public void LogSumExpIsThatOfTheVisibleScores()
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Random(5, 2);
        var pos = arange(5L);
        var part = AttentionKernels.Partial(q, k, v, pos, pos);
        var scores = matmul(q.to(ScalarType.Float64), k.to(ScalarType.Float64).repeat_interleave(3, 0).transpose(1, 2)).div(Math.Sqrt(Dim));
        var masked = scores.masked_fill(ones(5, 5, ScalarType.Bool).triu(1), double.NegativeInfinity);
        Assert.InRange(Fixture.MaxAbsDiff(part.Lse, masked.logsumexp(-1)), 0, 1e-5);
    }

    [Fact]
    public void ABlockThatSeesNoKeyIsEmptyAndMergesAway()
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Random(4, 3);
        var early = tensor(new long[] { 0, 1 });
        var late = tensor(new long[] { 2, 3 });
        var none = AttentionKernels.Partial(q.narrow(1, 0, 2), k.narrow(1, 2, 2), v.narrow(1, 2, 2), early, late);
        Assert.True(none.Lse.isneginf().all().item<bool>());
        Assert.Equal(0.0, none.Output.abs().max().item<float>());
        var seen = AttentionKernels.Partial(q.narrow(1, 0, 2), k.narrow(1, 0, 2), v.narrow(1, 0, 2), early, early);
        Assert.InRange(Fixture.MaxAbsDiff(PartialAttention.Merge(none, seen).Output, seen.Output), 0, 0);
        Assert.InRange(Fixture.MaxAbsDiff(PartialAttention.Merge(seen, none).Output, seen.Output), 0, 0);
    }

    [Theory]
    [InlineData(7, 7)]
    [InlineData(3, 10)]
    [InlineData(1, 9)]
    public void FusedCausalKernelEqualsReference(long sq, long sk)
    {
        using var scope = NewDisposeScope();
        var (q, _, _) = Random(sq, 4);
        var (_, k, v) = Random(sk, 5);
        var qPos = arange(sk - sq, sk, ScalarType.Int64);
        var want = Reference(q, k, v, qPos, arange(sk));
        Assert.InRange(Fixture.MaxAbsDiff(AttentionKernels.Causal(q, k, v), want), 0, 1e-5);
    }
}
