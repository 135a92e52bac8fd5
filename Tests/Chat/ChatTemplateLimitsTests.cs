using System.Diagnostics;
using OrleansLlm.Engine.Chat;
using OrleansLlm.Engine.Chat.Jinja;
using Xunit;

namespace OrleansLlm.Tests.Chat;

/// <summary>
/// A template can come with a request, so a render must stay contained: bounded in time, memory and nesting, with a
/// one-line error; and one parsed template must serve many threads at once.
/// </summary>
public class ChatTemplateLimitsTests
{
    private static readonly Dictionary<string, string> NoTokens = [];

    private static string Refusal(string template, List<ChatMessage>? messages = null) =>
        Assert.Throws<ChatTemplateException>(() => new ChatTemplate(template).Render(messages ?? [], NoTokens)).Message;

    [Fact]
    public void ALoopThatWouldRunForHoursIsStoppedAtTheTimeLimit()
    {
        var clock = Stopwatch.StartNew();
        var message = Refusal("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
        Assert.Equal("chat template: the render took longer than 5 s", message);
        Assert.InRange(clock.Elapsed.TotalSeconds, 4.5, 9);
    }

    [Fact]
    public void AHugeRangeIsRefusedAsTheSandboxRefusesIt() =>
        Assert.StartsWith("chat template: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
            Refusal("{% for i in range(10**9) %}x{% endfor %}"));

    [Fact]
    public void AStringThatDoublesPastTheMemoryLimitIsRefused()
    {
        // A loaded CI machine may take more than the default 5 s to write 256 MB; this test is about memory.
        var patient = RenderLimits.Default with { Time = TimeSpan.FromMinutes(2) };
        string Refusal(string template) =>
            Assert.Throws<ChatTemplateException>(() => new ChatTemplate(template, patient).Render([], NoTokens)).Message;
        const string limit = "chat template: the render went past its memory limit of 256 MB of output and values";
        Assert.Equal(limit, Refusal("{% set s = namespace(v='x') %}{% for i in range(40) %}{% set s.v = s.v ~ s.v %}{% endfor %}{{ s.v }}"));
        Assert.Equal(limit, Refusal("{{ 'x' * 10**12 }}"));
        Assert.Equal(limit, Refusal("{% for i in range(100000) %}{{ 'x' * 10000 }}{% endfor %}"));
    }

    [Fact]
    public void AMacroThatCallsItselfForeverIsStopped() =>
        Assert.Equal("chat template: macro calls nest deeper than 200", Refusal("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"));

    [Fact]
    public void DeepNestingIsRefusedNotACrash()
    {
        var parentheses = "{{ " + new string('(', 100_000) + "1" + new string(')', 100_000) + " }}";
        var e = Assert.Throws<ChatTemplateException>(() => new ChatTemplate(parentheses));
        Assert.StartsWith("chat template does not parse: the template nests too deeply", e.Message);
        Assert.Equal("chat template: the template nests too deeply",
            Refusal("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l == [ns.l] }}"));
    }

    [Fact]
    public void AnAttributeOfAnUndefinedValueSaysWhichAndWhere() =>
        Assert.Equal("chat template: 'dict object' has no attribute 'metadata' (line 2)",
            Refusal("{% for m in messages %}\n{{ m.metadata.source }}\n{% endfor %}", [new ChatMessage("user", "hi")]));

    [Fact]
    public void RaiseExceptionKeepsItsMessageVerbatim() =>
        Assert.Equal("Tool call ids must be 9 characters: got 'ab' (2)!",
            Refusal("{% set id = 'ab' %}{{ raise_exception(\"Tool call ids must be 9 characters: got '\" ~ id ~ \"' (\" ~ id|length ~ \")!\") }}"));

    [Fact]
    public void ASyntaxErrorNamesItsLine()
    {
        var e = Assert.Throws<ChatTemplateException>(() => new ChatTemplate("line one\n{% for x in y %}\n{{ x + }}\n{% endfor %}"));
        Assert.Equal("chat template does not parse: unexpected 'end of print statement' (line 3)", e.Message);
    }

    [Fact]
    public void ManyThreadsRenderOneTemplateAtOnce()
    {
        var chat = new ChatTemplate(File.ReadAllText(Path.Combine(ChatTemplateTests.Dir, "qwen3.jinja")));
        List<ChatMessage> Conversation(int i) =>
        [
            new("system", $"System {i}."), new("user", $"Question {i}?"),
            new("assistant", $"<think>\nThinking {i}.\n</think>\n\nAnswer {i}."), new("user", $"Follow-up {i}?"),
        ];
        var expected = Enumerable.Range(0, 64).Select(i => chat.Render(Conversation(i), NoTokens)).ToArray();
        var rendered = new string[64 * 50];
        Parallel.For(0, rendered.Length, new ParallelOptions { MaxDegreeOfParallelism = 32 },
            k => rendered[k] = chat.Render(Conversation(k % 64), NoTokens));
        for (var k = 0; k < rendered.Length; k++) Assert.Equal(expected[k % 64], rendered[k]);
        Assert.Contains("Answer 7.<|im_end|>", expected[7]);
        Assert.DoesNotContain("Thinking 7.", expected[7]);
    }
}
