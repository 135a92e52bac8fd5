using OrleansLlm.Engine.Generation;
using Xunit;

namespace OrleansLlm.Tests.Generation;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void NoStopStringsPassesTextThrough()
    {
        var matcher = new StopStringMatcher([]);

        Assert.Equal("Hello <", matcher.Push("Hello <", out var stopped));
        Assert.False(stopped);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void StopStringSplitAcrossPieces()
    {
        var matcher = new StopStringMatcher(["</answer>"]);

        Assert.Equal("The result is 4", matcher.Push("The result is 4</", out var first));
        Assert.Equal("", matcher.Push("ans", out var second));
        Assert.Equal("", matcher.Push("wer> and more", out var third));

        Assert.Equal((false, false, true), (first, second, third));
        Assert.Equal("</answer>", matcher.MatchedStopString);
        Assert.Equal("", matcher.Push("later", out var after));
        Assert.True(after);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void PartialPrefixThatIsNotAStopIsEmittedLater()
    {
        var matcher = new StopStringMatcher(["###"]);

        Assert.Equal("a", matcher.Push("a#", out _));
        Assert.Equal("", matcher.Push("#", out _));
        Assert.Equal("##b", matcher.Push("b", out var stopped));
        Assert.False(stopped);
        Assert.Equal("c", matcher.Push("c#", out _));
        Assert.Equal("#", matcher.Flush());
        Assert.False(matcher.IsStopped);
    }

    [Fact]
    public void OverlappingCandidatesStopAtTheFirstToComplete()
    {
        // "bc" completes before "abcd" could, so the text stops before "bc".
        var matcher = new StopStringMatcher(["abcd", "bc"]);

        Assert.Equal("x", matcher.Push("xab", out _));
        Assert.Equal("a", matcher.Push("c", out var stopped));
        Assert.True(stopped);
        Assert.Equal("bc", matcher.MatchedStopString);
    }

    [Fact]
    public void SelfOverlappingStopIsFoundAfterFalseStart()
    {
        var matcher = new StopStringMatcher(["aab"]);

        var emitted = string.Concat("aaab".Select(c => matcher.Push(c.ToString(), out _)));

        Assert.Equal("a", emitted);
        Assert.True(matcher.IsStopped);
    }

    [Fact]
    public void StopsAtEarliestStringWhenSeveralArriveInOnePiece()
    {
        var matcher = new StopStringMatcher(["\n\n", "\nUser:"]);

        Assert.Equal("Hi", matcher.Push("Hi\nUser: more\n\n", out var stopped));
        Assert.True(stopped);
        Assert.Equal("\nUser:", matcher.MatchedStopString);
    }

    [Theory]
    [InlineData("The answer</answer> is here")]
    [InlineData("xxabcdbc tail")]
    [InlineData("no stop at all <</")]
    [InlineData("aaaab###")]
    public void OutputDoesNotDependOnHowTextIsSplit(string text)
    {
        string[] stops = ["</answer>", "abcd", "bc", "aab", "##"];
        var whole = new StopStringMatcher(stops);
        var expected = whole.Push(text, out var expectedStop) + whole.Flush();
        var random = new Random(11);

        for (var trial = 0; trial < 50; trial++)
        {
            var matcher = new StopStringMatcher(stops);
            var output = string.Concat(RandomPieces(text, random).Select(p => matcher.Push(p, out _))) + matcher.Flush();

            Assert.Equal(expected, output);
            Assert.Equal(expectedStop, matcher.IsStopped);
        }
    }

    [Fact]
    public void EmptyStopStringsAreIgnored()
    {
        var matcher = new StopStringMatcher(["", "END"]);

        Assert.Equal("abc", matcher.Push("abc", out var stopped));
        Assert.False(stopped);
    }

    private static IEnumerable<string> RandomPieces(string text, Random random)
    {
        for (var start = 0; start < text.Length;)
        {
            var length = Math.Min(random.Next(1, 5), text.Length - start);
            yield return text.Substring(start, length);
            start += length;
        }
    }
}
