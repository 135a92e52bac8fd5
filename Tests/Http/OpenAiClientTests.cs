using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>The official OpenAI .NET client against the silo's API: what an OpenAI user's code does, unchanged.</summary>
[Collection(FrontDoorCollection.Name)]
public sealed class OpenAiClientTests(FrontDoorFixture api)
{
    private OpenAIClient Client(string key = FrontDoorFixture.Key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(api.BaseAddress, "v1") });

    [Fact]
    public async Task ItListsTheModels()
    {
        var models = await Client().GetOpenAIModelClient().GetModelsAsync();
        Assert.Contains(models.Value, m => m.Id == "stories260K");
    }

    [Fact]
    public async Task AChatAndItsStreamGiveTheSameGreedyText()
    {
        var chat = Client().GetChatClient("stories260K");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 };
        ChatMessage[] messages = [new UserChatMessage(DemoModelTests.Prompt)];
        var whole = (await chat.CompleteChatAsync(messages, options)).Value;
        // The demo model's template makes a chat one story: its reply continues the user's words.
        Assert.StartsWith(DemoModelTests.TransformersGreedy[..60], whole.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.Equal(5, whole.Usage.InputTokenCount);

        var streamed = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            usage = update.Usage ?? usage;
        }
        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.Equal(40, usage!.OutputTokenCount);
    }

    [Fact]
    public async Task ARejectedConversationAndAWrongKeyAreErrors()
    {
        var chat = Client().GetChatClient("stories260K");
        var rejected = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new AssistantChatMessage("Hello"), new UserChatMessage("Hi")]));
        Assert.Equal(400, rejected.Status);
        var wrongKey = await Assert.ThrowsAsync<ClientResultException>(() => Client("wrong").GetChatClient("stories260K")
            .CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(401, wrongKey.Status);
    }
}
