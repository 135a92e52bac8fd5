using System.Text;
using System.Text.Json;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Tests.Chat;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// vLLM's chat_template_kwargs on /v1/chat/completions: scalars reach the model's chat template (Qwen3's enable_thinking
/// changes the prompt, seen in its token count), anything else is a 400 naming the parameter.
/// </summary>
[Collection(FrontDoorCollection.Name)]
public sealed class ChatTemplateKwargsApiTests(FrontDoorFixture api)
{
    private const string Chat = "v1/chat/completions";

    [Fact]
    public async Task Enable_thinking_shapes_the_prompt_as_the_template_says()
    {
        using var folder = new Qwen3ChatFolder();
        var tokenizer = HfTokenizer.Load(folder.Dir);
        foreach (var (messages, thinking, expected) in Qwen3ChatFolder.ThinkingCases())
        {
            var kwargs = thinking ? """{"enable_thinking": true}""" : """{"enable_thinking": false}""";
            var body = $$"""{"model": "qwen3-chat", "messages": {{messages.GetRawText()}}, "max_tokens": 1, "chat_template_kwargs": {{kwargs}} }""";
            var response = await api.Http.PostAsync(Chat, new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            var promptTokens = JsonDocument.Parse(text).RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
            Assert.Equal(tokenizer.Encode(expected, addSpecialTokens: false).Length, promptTokens);
        }
    }

    [Theory]
    [InlineData("[1]", "chat_template_kwargs must be an object")]
    [InlineData("\"enable_thinking\"", "chat_template_kwargs must be an object")]
    [InlineData("""{"enable_thinking": [false]}""", "chat_template_kwargs.enable_thinking must be a bool, number, string or null")]
    [InlineData("""{"x": {"y": 1}}""", "chat_template_kwargs.x must be a bool, number, string or null")]
    [InlineData("""{"messages": "hi"}""", "chat template variable 'messages' is set by the request itself")]
    public async Task Kwargs_a_template_cannot_take_are_refused(string kwargs, string message)
    {
        var body = $$"""{"model": "qwen3-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1, "chat_template_kwargs": {{kwargs}}}""";
        var error = await ClientMistakeTests.ErrorOf(await api.Http.PostAsync(Chat, new StringContent(body, Encoding.UTF8, "application/json")), 400);
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.Equal("chat_template_kwargs", error.GetProperty("param").GetString());
    }
}
