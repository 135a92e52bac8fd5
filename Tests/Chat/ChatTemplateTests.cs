using System.Text.Json;
using OrleansLlm.Engine.Chat;
using Xunit;

namespace OrleansLlm.Tests.Chat;

/// <summary>
/// Real models' chat templates (Llama 2, Llama 3, Llama 3.1, Qwen2.5, Qwen3, Mistral, SmolLM2, Gemma 2, Gemma 3,
/// Phi-3, Phi-3.5) and a feature template, rendered as transformers' apply_chat_template renders them: system prompts,
/// several turns, refusals, content parts, tool calls, and extra variables such as Qwen3's enable_thinking. The
/// expected strings (Fixtures/chat/cases.json) were computed by Fixtures/chat/render_with_jinja2.py, which renders
/// with Python's jinja2 3.1.6 set up as transformers' _compile_jinja_template sets it up; check_with_transformers.py
/// beside it checks them against transformers itself where it is installed.
/// </summary>
public class ChatTemplateTests
{
    internal static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat");

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        var cases = Load("cases.json");
        for (var i = 0; i < cases.Count; i++) data.Add(i, cases[i].GetProperty("template").GetString()!);
        return data;
    }

    internal static List<JsonElement> Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, file))).RootElement.EnumerateArray().ToList();

    /// <summary>
    /// The case's extra variables; a conversation our ChatMessage cannot carry (content parts, tool calls, reasoning)
    /// goes in as the variable "messages", as apply_chat_template hands any message dict to the template.
    /// </summary>
    internal static (List<ChatMessage> Messages, Dictionary<string, object?> Variables) Inputs(JsonElement c)
    {
        var variables = new Dictionary<string, object?>();
        if (c.TryGetProperty("variables", out var vars))
            foreach (var p in vars.EnumerateObject()) variables[p.Name] = p.Value;
        var messages = new List<ChatMessage>();
        if (!c.TryGetProperty("messages", out var ms)) return (messages, variables);
        var plain = ms.EnumerateArray().All(m => m.EnumerateObject().Count() == 2 && m.TryGetProperty("role", out _)
                                                 && m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String);
        if (plain) messages.AddRange(ms.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)));
        else variables["messages"] = ms;
        return (messages, variables);
    }

    [Theory, MemberData(nameof(Cases))]
    public void RendersAsTransformers(int index, string template)
    {
        var c = Load("cases.json")[index];
        var chat = new ChatTemplate(File.ReadAllText(Path.Combine(Dir, template + ".jinja")));
        var (messages, variables) = Inputs(c);
        var tokens = c.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        string Render() => chat.Render(messages, tokens, c.GetProperty("add_generation_prompt").GetBoolean(), variables);
        if (c.TryGetProperty("error", out var error))
            Assert.Equal(error.GetString(), Assert.Throws<ChatTemplateException>(Render).Message);
        else
            Assert.Equal(c.GetProperty("expected").GetString(), Render());
    }

    [Fact]
    public void ATemplateParsesOnceAndRendersManyTimes()
    {
        var chat = new ChatTemplate(File.ReadAllText(Path.Combine(Dir, "llama-3.jinja")));
        var tokens = new Dictionary<string, string> { ["bos_token"] = "<s>" };
        var outputs = Enumerable.Range(0, 4).AsParallel()
            .Select(i => chat.Render([new ChatMessage("user", $"turn {i}")], tokens)).ToList();
        for (var i = 0; i < 4; i++)
            Assert.Equal($"<s><|start_header_id|>user<|end_header_id|>\n\nturn {i}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", outputs[i]);
    }

    [Fact]
    public void ATemplateThatDoesNotParseSaysSoInOneLine()
    {
        var e = Assert.Throws<ChatTemplateException>(() => new ChatTemplate("{% for m in messages %}{{ m.content }"));
        Assert.StartsWith("chat template does not parse: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void WithoutAGenerationPromptTheAssistantTurnIsNotOpened()
    {
        var chat = new ChatTemplate(File.ReadAllText(Path.Combine(Dir, "smollm2.jinja")));
        var text = chat.Render([new ChatMessage("system", "S"), new ChatMessage("user", "U")], new Dictionary<string, string>(), false);
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n", text);
    }

    [Fact]
    public void ExtraVariablesTakeDotNetValues()
    {
        var chat = new ChatTemplate("{{ flag }} {{ n + 1 }} {{ x }} {{ items|join(',') }} {{ map.k }} {{ none_value is none }}");
        var text = chat.Render([], new Dictionary<string, string>(), variables: new Dictionary<string, object?>
        {
            ["flag"] = false, ["n"] = 41, ["x"] = 1.5, ["items"] = new[] { "a", "b" },
            ["map"] = new Dictionary<string, object?> { ["k"] = "v" }, ["none_value"] = null,
        });
        Assert.Equal("False 42 1.5 a,b v True", text);
    }
}
