using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>Bad requests get a one-line reason, free what they took, and the cluster keeps serving.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BadInputClusterTests(ClusterFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-bad-").FullName;
    private Orleans.TestingHost.TestCluster Cluster => fixture.Cluster;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task AssertStillServes()
    {
        var deployment = await Cluster.Deploy(Fixture.DirOf("llama-tiny"));
        var chunks = await Cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, PromptIds = [1, 2, 3], MaxTokens = 3 });
        Assert.Equal(3, chunks.Ids().Length);
        Assert.All(await Cluster.Shards(deployment), s => Assert.Equal(0, s.ActiveRequests));
    }

    [Fact]
    public async Task AMissingModelIsRefused()
    {
        var e = await Assert.ThrowsAsync<OlmException>(() => Cluster.Deploy(Path.Combine(_dir, "nothing")));
        Assert.Contains("model directory not found", e.Message);
        await AssertStillServes();
    }

    [Fact]
    public async Task CorruptWeightsFailTheDeploymentAndFreeItsMemory()
    {
        foreach (var f in Directory.GetFiles(Fixture.DirOf("llama-tiny"))) File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        var weights = Path.Combine(_dir, "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^1000]);
        var e = await Assert.ThrowsAsync<OlmException>(() => Cluster.Deploy(_dir));
        Assert.Contains("truncated", e.Message);
        var info = await Cluster.GrainFactory.GetGrain<IDeploymentGrain>(new DeploySpec { Model = _dir }.DefaultId()).GetAsync();
        Assert.Equal(DeploymentState.Failed, info!.State);
        await AssertStillServes();
    }

    public static TheoryData<int[], int, string, OlmErrorKind> BadRequests => new()
    {
        { Enumerable.Repeat(5, 500).ToArray(), 20, "exceeds the model context (512)", OlmErrorKind.ContextOverflow },
        { [1, 2, 320], 5, "token id 320 at position 2 is outside the vocabulary [0, 320)", OlmErrorKind.BadRequest },
        { [1, -4], 5, "token id -4 at position 1 is outside the vocabulary", OlmErrorKind.BadRequest },
        { [1, 2], -1, "max new tokens must be 0 or more", OlmErrorKind.BadRequest },
    };

    /// <summary>The reason and its kind cross the wire (the kind is what the HTTP API maps to a status).</summary>
    [Theory, MemberData(nameof(BadRequests))]
    public async Task BadRequestsAreRefusedWithAReason(int[] prompt, int maxTokens, string message, OlmErrorKind kind)
    {
        var deployment = await Cluster.Deploy(Fixture.DirOf("llama-tiny"));
        var e = await Assert.ThrowsAsync<OlmException>(() =>
            Cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, PromptIds = prompt, MaxTokens = maxTokens }));
        Assert.Contains(message, e.Message);
        Assert.Equal(kind, e.Kind);
        await AssertStillServes();
    }

    [Fact]
    public async Task AnUnknownDeploymentIsNamed()
    {
        var e = await Assert.ThrowsAsync<OlmException>(() =>
            Cluster.Generate(new GenerateRequest { DeploymentId = "nope", PromptIds = [1], MaxTokens = 1 }));
        Assert.Contains("no deployment 'nope'", e.Message);
        Assert.Equal(OlmErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public async Task ATextPromptWithoutATokenizerAsksForIds()
    {
        var deployment = await Cluster.Deploy(Fixture.DirOf("qwen2-tiny"));
        var e = await Assert.ThrowsAsync<OlmException>(() =>
            Cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, Prompt = "hello", MaxTokens = 1 }));
        Assert.Contains("--prompt-ids", e.Message);
    }
}
