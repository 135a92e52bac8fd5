using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sequence;
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
        new[] { new long[] { 0, 1, 2, 3 }, [4, 7, 10], [5, 6, 8, 9, 11] },     // irregular: the masked kernel
        new[] { new long[] { 0, 4, 8 }, [1, 5, 9], [2, 6, 10], [3, 7, 11] },   // four stripes
        new[] { new long[] { 0, 5, 10 }, [1, 6, 11], [2, 7], [3, 8], [4, 9] }, // uneven stripes
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
                var part = AttentionKernels.Partial(q.index_select(1, qi), k.index_select(1, ki), v.index_select(1, ki), qi, ki,
                    PositionRun.Of(qb), PositionRun.Of(kb));
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
        var part = AttentionKernels.Partial(q, k, v, pos, pos, PositionRun.Of([0, 1, 2, 3, 4]), PositionRun.Of([0, 1, 2, 3, 4]));
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
        var none = AttentionKernels.Partial(q.narrow(1, 0, 2), k.narrow(1, 2, 2), v.narrow(1, 2, 2), early, late,
            PositionRun.Of([0, 1]), PositionRun.Of([2, 3]));
        Assert.True(none.Lse.isneginf().all().item<bool>());
        Assert.Equal(0.0, none.Output.abs().max().item<float>());
        var seen = AttentionKernels.Partial(q.narrow(1, 0, 2), k.narrow(1, 0, 2), v.narrow(1, 0, 2), early, early,
            PositionRun.Of([0, 1]), PositionRun.Of([0, 1]));
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
        Assert.InRange(Fixture.MaxAbsDiff(OrleansLlm.Engine.Model.Layers.LayerCalls.Causal(q, k, v), want), 0, 1e-5);
    }

    /// <summary>Every band the fused kernels are cut into (blind rows, causal square, all-visible rows) and the masked kernel.</summary>
    [Theory]
    [InlineData(5, 5, 0)]
    [InlineData(5, 5, -1)]
    [InlineData(5, 4, -1)]
    [InlineData(4, 5, 0)]
    [InlineData(6, 3, -2)]
    [InlineData(3, 8, 2)]
    [InlineData(6, 3, 0)]
    [InlineData(4, 4, 3)]
    [InlineData(4, 4, 9)]
    [InlineData(3, 4, -3)]
    public void BandsEqualTheReferenceAndTheMaskedKernel(long sq, long sk, long offset)
    {
        using var scope = NewDisposeScope();
        var (q, _, _) = Random(sq, 6);
        var (_, k, v) = Random(sk, 7);
        var qPos = arange(sq).add(offset);
        var kPos = arange(sk);
        var want = Reference(q, k, v, qPos, kPos).nan_to_num(0.0); // rows that see no key: 0, as the kernels give
        var banded = AttentionKernels.Banded(q, k, v, offset);
        var masked = AttentionKernels.Masked(q, k, v, qPos, kPos);
        Assert.InRange(Fixture.MaxAbsDiff(banded.Output, masked.Output), 0, 1e-5);
        Assert.InRange(Fixture.MaxAbsDiff(banded.Output, want), 0, 1e-5);
        var finite = masked.Lse.isfinite();
        Assert.True(banded.Lse.isfinite().eq(finite).all().item<bool>());
        Assert.InRange(Fixture.MaxAbsDiff(banded.Lse.masked_fill(finite.logical_not(), 0), masked.Lse.masked_fill(finite.logical_not(), 0)), 0, 1e-5);
    }

    [Theory]
    [InlineData(new long[] { 3, 4, 5 }, 3, 1)]
    [InlineData(new long[] { 2, 6, 10 }, 2, 4)]
    [InlineData(new long[] { 1, 2, 4 }, 1, 0)]
    [InlineData(new long[] { 9 }, 9, 1)]
    public void RunsDescribeTheirPositions(long[] positions, long first, long stride)
    {
        var run = PositionRun.Of(positions);
        Assert.Equal((first, stride, positions.LongLength), (run.First, run.Stride, run.Count));
    }

    [Fact]
    public void RunsJoinOnlyWhenTheyContinue()
    {
        Assert.Equal(new PositionRun(0, 1, 7), PositionRun.Of([0, 1, 2, 3]).Then(PositionRun.Of([4, 5, 6])));
        Assert.Equal(0, PositionRun.Of([0, 1, 2]).Then(PositionRun.Of([4, 5])).Stride);
        Assert.Equal(new PositionRun(3, 3, 2), PositionRun.Of([3]).Then(PositionRun.Of([6])));
        Assert.Equal(-1, PositionRun.VisibilityOffset(PositionRun.Of([1, 4, 7]), PositionRun.Of([2, 5, 8])));
        Assert.Equal(0, PositionRun.VisibilityOffset(PositionRun.Of([2, 5, 8]), PositionRun.Of([1, 4, 7])));
        Assert.Null(PositionRun.VisibilityOffset(PositionRun.Of([1, 2, 3]), PositionRun.Of([2, 5, 8])));
    }
}
