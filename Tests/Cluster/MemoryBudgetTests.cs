using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>A silo with 1 MiB per device: room for llama-tiny's weights (0.5 MiB) and a few requests' KV caches.</summary>
public sealed class MemoryBudgetTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await OlmTestCluster.StartAsync(silos: 1, memoryGiB: 1.0 / 1024);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task ARequestThatDoesNotFitIsRefusedAndTheOthersGoOn()
    {
        var deployment = await _cluster.Deploy(Fixture.DirOf("llama-tiny"));
        var afterWeights = await _cluster.Reserved();
        // Each request reserves KV for prompt + max tokens (2 layers × 2 × 2 heads × 512 × 16 × 4 B ≈ 260 KiB).
        var request = new GenerateRequest { DeploymentId = deployment.Id, PromptIds = [1, 2, 3], MaxTokens = 509 };
        var open = new List<IAsyncEnumerator<TokenChunk>>();
        OlmException? refused = null;
        for (var i = 0; i < 6 && refused is null; i++)
        {
            var stream = _cluster.GrainFactory.GetGrain<IRequestGrain>(Guid.NewGuid()).GenerateAsync(request).GetAsyncEnumerator();
            try
            {
                await stream.MoveNextAsync(); // holds its KV cache until disposed
                open.Add(stream);
            }
            catch (OlmException e)
            {
                refused = e;
            }
        }
        Assert.NotNull(refused);
        Assert.Contains("KV cache full", refused!.Message);
        Assert.InRange(open.Count, 1, 5);
        foreach (var s in open) await s.DisposeAsync();
        await GenerationClusterTests.WaitUntil(async () => await _cluster.Reserved() == afterWeights);
        var ok = await _cluster.Generate(request with { MaxTokens = 4 });
        Assert.Equal(4, ok.Ids().Length);
    }

    [Fact]
    public async Task APlanThatCannotFitIsRefusedBeforeLoading()
    {
        var e = await Assert.ThrowsAsync<OlmException>(() => _cluster.Deploy("shape:tiny"));
        Assert.Matches("shard\\(s\\) 0 need [0-9]+ MiB on cpu of .* which has [0-9]+ MiB free", e.Message);
        Assert.Equal(0, await _cluster.Reserved());
    }
}
