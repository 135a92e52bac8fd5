using System.Text.Json;
using OrleansLlm.Engine.Chat;
using Xunit;

namespace OrleansLlm.Tests.Chat;

/// <summary>
/// Real models' chat templates (Llama 2, Llama 3, Llama 3.1, Qwen2.5, Qwen3, Mistral, SmolLM2) and a feature template,
/// rendered as transformers' apply_chat_template(..., add_generation_prompt=True) renders them. The expected strings
/// (Fixtures/chat/cases.json) were written from the templates' semantics; check_with_transformers.py beside them
/// checks them against transformers where it is installed.
/// </summary>
public class ChatTemplateTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat");

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        var cases = Load();
        for (var i = 0; i < cases.Count; i++) data.Add(i, cases[i].GetProperty("template").GetString()!);
        return data;
    }

    private static List<JsonElement> Load() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "cases.json"))).RootElement.EnumerateArray().ToList();

    [Theory, MemberData(nameof(Cases))]
    public void RendersAsTransformers(int index, string template)
    {
        var c = Load()[index];
        var chat = new ChatTemplate(File.ReadAllText(Path.Combine(Dir, template + ".jinja")));
        var messages = c.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
        var tokens = c.GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        string Render() => chat.Render(messages, tokens, c.GetProperty("add_generation_prompt").GetBoolean());
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
}
