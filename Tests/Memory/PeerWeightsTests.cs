using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Cluster;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Memory;

/// <summary>
/// Two silos, the model folders on the first only (the second's model directory is empty): shards on the second read
/// their slices from the first in pieces of at most 4 KiB, resident or through a weight window, and its requests
/// tokenize through the folder's mirrored tokenizer; the answers are the ones the model gives on one machine.
/// </summary>
public sealed class PeerWeightsTests : IAsyncLifetime
{
    private readonly string _first = Directory.CreateTempSubdirectory("olm-peer-a-").FullName;
    private readonly string _other = Directory.CreateTempSubdirectory("olm-peer-b-").FullName;
    private Orleans.TestingHost.TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        foreach (var (name, dir) in new[] { ("llama-tiny", Fixture.DirOf("llama-tiny")), ("stories260K", DemoModelTests.Dir) })
        {
            Directory.CreateDirectory(Path.Combine(_first, name));
            foreach (var f in Directory.GetFiles(dir)) File.Copy(f, Path.Combine(_first, name, Path.GetFileName(f)));
        }
        _cluster = await OlmTestCluster.StartAsync(silos: 2, modelDirs: (_first, _other), weightPieceBytes: 4096);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_first, recursive: true);
        Directory.Delete(_other, recursive: true);
    }

    private async Task<DeploymentInfo> Deploy(DeploySpec spec) =>
        await _cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task AShardWithoutTheFolderLoadsItsSliceFromThePeerAndGivesTheSameIds(int window)
    {
        var f = new Fixture("llama-tiny");
        var spec = new DeploySpec { Model = "llama-tiny", Strategy = Strategy.Tensor, Shards = 2, Weights = new WeightSettings { MemoryWindow = window } };
        var d = await Deploy(spec);
        Assert.Equal(2, d.Shards.Select(s => s.Silo).Distinct().Count());
        var prompt = f.GreedyIds[..f.PromptLength].Select(i => (int)i).ToArray();
        var n = f.GreedyIds.Length - f.PromptLength;
        var ids = (await _cluster.Generate(new GenerateRequest { DeploymentId = d.Id, PromptIds = prompt, MaxTokens = n, IgnoreEos = true })).Ids();
        Assert.Equal(f.GreedyIds[f.PromptLength..].Select(i => (int)i), ids);
    }

    [Fact]
    public async Task TextPromptsWorkOnEitherSilo()
    {
        var d = await Deploy(new DeploySpec { Model = "stories260K", Strategy = Strategy.Tensor, Shards = 2 });
        for (var i = 0; i < 4; i++) // request grains land on either silo
        {
            var chunks = await _cluster.Generate(new GenerateRequest { DeploymentId = d.Id, Prompt = DemoModelTests.Prompt, MaxTokens = 30 });
            Assert.StartsWith(string.Concat(chunks.Select(c => c.Text)), DemoModelTests.TransformersGreedy);
        }
    }

    [Fact]
    public async Task AModelNoSiloHasIsRefusedInOneLine()
    {
        var e = await Assert.ThrowsAsync<OlmException>(() => Deploy(new DeploySpec { Model = "nowhere" }));
        Assert.Contains("model directory not found", e.Message);
        Assert.Contains("no silo of the cluster has 'nowhere'", e.Message);
    }
}
