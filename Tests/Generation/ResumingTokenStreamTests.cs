using System.Runtime.CompilerServices;
using OrleansLlm.Engine.Generation;
using Xunit;

namespace OrleansLlm.Tests.Generation;

/// <summary>
/// A stream that loses its shards mid-generation and resumes on rebuilt ones yields exactly the undisturbed tokens:
/// the rebuilt stream is asked for the rest with the produced tokens appended to the prompt, the remaining count and
/// the used draws skipped.
/// </summary>
public class ResumingTokenStreamTests
{
    private static readonly TokenPlan Plan = new(12, new HashSet<int>(), SamplingOptions.Greedy, SkipDraws: 2);

    /// <summary>Next token = a function of the whole sequence so far (so a wrong resume prompt shows); fails after failAfter tokens.</summary>
    private sealed class Model(int failAfter = int.MaxValue, Exception? failure = null) : ITokenStream
    {
        public List<(int[] Prompt, TokenPlan Plan)> Calls { get; } = [];

        public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, TokenPlan plan,
            [EnumeratorCancellation] CancellationToken cancellation)
        {
            Calls.Add(([.. promptIds], plan));
            var sequence = promptIds.ToList();
            for (var i = 0; i < plan.MaxNewTokens; i++)
            {
                await Task.Yield();
                if (i == failAfter) throw failure ?? new TimeoutException("silo lost");
                var next = (sequence.Sum() * 31 + sequence.Count) % 97;
                sequence.Add(next);
                yield return next;
            }
        }
    }

    private sealed class Recovery(Model first, Model second, bool recovers = true) : IStreamRecovery
    {
        public ITokenStream Current { get; private set; } = first;
        public List<Exception> Seen { get; } = [];

        public Task<bool> RecoverAsync(Exception failure, CancellationToken cancellation)
        {
            Seen.Add(failure);
            Current = second;
            return Task.FromResult(recovers);
        }
    }

    private static async Task<List<int>> All(ITokenStream s)
    {
        var tokens = new List<int>();
        await foreach (var t in s.GenerateAsync([5, 9, 2], Plan, CancellationToken.None)) tokens.Add(t);
        return tokens;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(11)]
    public async Task ALossMidStreamResumesWithTheUndisturbedTokens(int failAfter)
    {
        var undisturbed = await All(new Model());
        var (first, second) = (new Model(failAfter), new Model());
        var recovery = new Recovery(first, second);
        var stream = new ResumingTokenStream(recovery);

        Assert.Equal(undisturbed, await All(stream));
        Assert.Equal(1, stream.Recoveries);
        var (prompt, plan) = Assert.Single(second.Calls);
        Assert.Equal([5, 9, 2, .. undisturbed.Take(failAfter)], prompt);
        Assert.Equal(Plan.MaxNewTokens - failAfter, plan.MaxNewTokens);
        Assert.Equal(Plan.SkipDraws + failAfter, plan.SkipDraws);
    }

    [Fact]
    public async Task AFailureTheRecoveryDoesNotAcceptIsTheStreamsError()
    {
        var stream = new ResumingTokenStream(new Recovery(new Model(3, new InvalidDataException("bad request")), new Model(), recovers: false));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => All(stream));
        Assert.Equal("bad request", e.Message);
    }

    [Fact]
    public async Task RecoveriesAreBounded()
    {
        var recovery = new Recovery(new Model(2), new Model(0));
        await Assert.ThrowsAsync<TimeoutException>(() => All(new ResumingTokenStream(recovery, maxRecoveries: 2)));
        Assert.Equal(2, recovery.Seen.Count);
    }
}
