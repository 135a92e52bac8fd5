using OrleansLlm.Engine;
using OrleansLlm.Engine.Chat;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>Conversations rendered on the silo by the model's chat template, against the engine in this process.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ChatClusterTests(ClusterFixture fixture)
{
    private Orleans.TestingHost.TestCluster Cluster => fixture.Cluster;

    private static readonly ChatTurn[] Story = [new("system", "Tom had a red ball."), new("user", "One day, Tom")];

    [Fact]
    public async Task AConversationIsRenderedAndTokenizedWithoutAddedSpecialTokens()
    {
        var deployment = await Cluster.Deploy(DemoModelTests.Dir);
        var chunks = await Cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, Messages = Story, MaxTokens = 12 });

        using var local = LocalModel.Load(DemoModelTests.Dir);
        var chat = ModelChat.Load(DemoModelTests.Dir);
        var text = new ChatTemplate(chat.TemplateSource!).Render(Story.Select(m => new ChatMessage(m.Role, m.Content)).ToList(), chat.SpecialTokens);
        Assert.Equal("<s>Tom had a red ball.\nOne day, Tom", text);
        // The template writes <s> itself: encoding with the tokenizer's special tokens would give it twice.
        var prompt = local.Tokenizer!.Encode(text, addSpecialTokens: false);
        Assert.Equal(1, prompt[0]);
        Assert.NotEqual(1, prompt[1]);
        var want = new List<int>();
        await foreach (var t in local.GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = 12 })) want.Add(t.Id);
        Assert.Equal(want, chunks.Ids());
        Assert.Equal(prompt.Length, chunks[^1].Stats!.PromptTokens);
    }

    [Fact]
    public async Task ATemplatesRefusalIsABadRequestWithItsMessage()
    {
        var deployment = await Cluster.Deploy(DemoModelTests.Dir);
        var e = await Assert.ThrowsAsync<OlmException>(() => Cluster.Generate(new GenerateRequest
        {
            DeploymentId = deployment.Id, Messages = [new("user", "a"), new("user", "b")], MaxTokens = 2,
        }));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", e.Message);
        Assert.Equal(OlmErrorKind.BadRequest, e.Kind);
    }

    [Fact]
    public async Task ARequestMayBringItsOwnTemplate()
    {
        var deployment = await Cluster.Deploy(DemoModelTests.Dir);
        var chunks = await Cluster.Generate(new GenerateRequest
        {
            DeploymentId = deployment.Id, Messages = [new("user", "Once upon a time")], MaxTokens = 3,
            ChatTemplate = "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}",
        });
        Assert.Equal(5, chunks[^1].Stats!.PromptTokens); // <s> and "Once upon a time": as generate's text prompt
        Assert.Equal(", there was", string.Concat(chunks.Select(c => c.Text)));
    }

    [Fact]
    public async Task MaxTokensZeroEndsAtOnceWithTheLengthReason()
    {
        var deployment = await Cluster.Deploy(DemoModelTests.Dir);
        var chunks = await Cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, Prompt = "Once upon a time", MaxTokens = 0 });
        Assert.Equal("Length", Assert.Single(chunks).StopReason);
        Assert.Empty(chunks.Ids());
    }
}
