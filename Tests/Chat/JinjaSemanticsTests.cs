using OrleansLlm.Engine.Chat;
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
}
