using OrleansLlm.Engine.Chat;
using Xunit;

namespace OrleansLlm.Tests.Chat;

/// <summary>Where a model folder keeps its chat template and special tokens, read as transformers reads them.</summary>
public sealed class ModelChatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-chat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string file, string text) => File.WriteAllText(Path.Combine(_dir, file), text);

    [Fact]
    public void TokenizerConfigGivesTheTemplateAndTheSpecialTokensAsTextOrObjects()
    {
        Write("tokenizer_config.json", """
            {"bos_token": "<s>", "eos_token": {"content": "</s>", "lstrip": false}, "pad_token": null,
             "chat_template": "{{ bos_token }}{{ messages[0]['content'] }}{{ eos_token }}"}
            """);
        var chat = ModelChat.Load(_dir);
        Assert.Equal(new Dictionary<string, string> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" }, chat.SpecialTokens);
        Assert.Equal("<s>hi</s>", new ChatTemplate(chat.TemplateSource!).Render([new ChatMessage("user", "hi")], chat.SpecialTokens));
    }

    [Fact]
    public void ChatTemplateJinjaWinsOverTokenizerConfigAndNamedTemplatesTakeDefault()
    {
        Write("tokenizer_config.json", """
            {"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "plain"}]}
            """);
        Assert.Equal("plain", ModelChat.Load(_dir).TemplateSource);
        Write("chat_template.jinja", "from the file");
        Assert.Equal("from the file", ModelChat.Load(_dir).TemplateSource);
    }

    [Fact]
    public void AModelWithoutATemplateHasNone()
    {
        Write("tokenizer_config.json", """{"bos_token": "<s>"}""");
        Assert.Null(ModelChat.Load(_dir).TemplateSource);
    }

    [Fact]
    public void TheDemoModelsTemplateContinuesTheStoryAndRefusesTurnsOutOfOrder()
    {
        var chat = ModelChat.Load(Engine.DemoModelTests.Dir);
        var template = new ChatTemplate(chat.TemplateSource!);
        Assert.Equal("<s>Once upon a time", template.Render([new ChatMessage("user", "Once upon a time")], chat.SpecialTokens));
        Assert.Equal("<s>Tom had a dog.\nOnce upon a time there was a cat. It was big. It ran",
            template.Render([new ChatMessage("system", "Tom had a dog."), new ChatMessage("user", "Once upon a time there was a cat."),
                new ChatMessage("assistant", " It was big."), new ChatMessage("user", "It ran")], chat.SpecialTokens));
        Assert.Throws<ChatTemplateException>(() =>
            template.Render([new ChatMessage("user", "a"), new ChatMessage("user", "b")], chat.SpecialTokens));
    }
}
