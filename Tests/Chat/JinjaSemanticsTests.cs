using OrleansLlm.Engine.Chat;
using OrleansLlm.Engine.Chat.Jinja;
using Xunit;

namespace OrleansLlm.Tests.Chat;

/// <summary>
/// The Jinja the interpreter covers, one small template each (Fixtures/chat/semantics.json): whitespace control,
/// literals and how Python prints them, operators, undefined values, slicing, str/dict/list methods, loops and their
/// scopes, namespaces, macros and call blocks, filters, tests, globals and syntax errors. Expected strings and
/// errors were computed by render_with_jinja2.py with jinja2 under transformers' settings; our error messages carry
/// jinja2's text within them.
/// </summary>
public class JinjaSemanticsTests
{
    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        var cases = ChatTemplateTests.Load("semantics.json");
        for (var i = 0; i < cases.Count; i++) data.Add(i, cases[i].GetProperty("template").GetString()!);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void RendersAsJinja2(int index, string template)
    {
        var c = ChatTemplateTests.Load("semantics.json")[index];
        var (messages, variables) = ChatTemplateTests.Inputs(c);
        string Render() => new ChatTemplate(template).Render(messages, new Dictionary<string, string>(), variables: variables);
        if (c.TryGetProperty("error", out var error))
        {
            var message = Assert.Throws<ChatTemplateException>(Render).Message;
            Assert.Contains(error.GetString()!, message);
            Assert.DoesNotContain('\n', message);
        }
        else
            Assert.Equal(c.GetProperty("expected").GetString(), Render());
    }

    /// <summary>strftime_now's directives, against Python's datetime(2024, 7, 6, 21, 5, 3).strftime on glibc.</summary>
    [Fact]
    public void StrftimeWritesDatesAsPython() =>
        Assert.Equal("06 Jul 2024|6|21:05:03|Saturday Sat|July 07|188|PM 09|24| 6|7/21|2024-07-06 21:05:03|6 6|%",
            Strftime.Format(new DateTime(2024, 7, 6, 21, 5, 3), "%d %b %Y|%-d|%H:%M:%S|%A %a|%B %m|%j|%p %I|%y|%e|%-m/%-H|%F %T|%u %w|%%"));
}
