using Orleans.TestingHost;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>
/// A silo with 1 MiB per device: room for llama-tiny's weights (0.5 MiB) and a KV pool of a few hundred tokens. Requests
/// take blocks as they grow; when blocks run out the youngest is preempted and computed again later, never failed.
/// </summary>
public sealed class MemoryBudgetTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await OlmTestCluster.StartAsync(silos: 1, memoryGiB: 1.0 / 1024);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<DeploymentInfo> Deploy(long kvTokens)
    {
        var spec = new DeploySpec { Model = Fixture.DirOf("llama-tiny"), Serving = new ServingSettings { KvCacheTokens = kvTokens } };
        return await _cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);
    }

    [Fact]
    public async Task RequestsBeyondTheCacheArePreemptedAndStillGetTheTokensTheyGetAlone()
    {
        var deployment = await Deploy(kvTokens: 64);                    // 4 blocks of 16 tokens
        Assert.Equal(5, deployment.KvBlocks);                            // and the scratch block
        var requests = Enumerable.Range(0, 6).Select(i => new GenerateRequest
        {
            DeploymentId = deployment.Id, PromptIds = [1 + i, 17, 5 * i + 2], MaxTokens = 30, IgnoreEos = true,
        }).ToArray();
        var alone = new List<int[]>();
        foreach (var r in requests) alone.Add((await _cluster.Generate(r)).Ids());
        var together = await Task.WhenAll(requests.Select(r => _cluster.Generate(r)));   // 6 × 2 blocks wanted of 4
        Assert.Equal(alone, together.Select(c => c.Ids()));
        var entry = (await _cluster.Shards(deployment))[0];
        Assert.True(entry.Preemptions > 0, "six requests of 33 tokens in 64 tokens of cache should have preempted");
        Assert.Equal((0, 0, 4), (entry.KvBlocksUsed, entry.ActiveRequests, entry.KvBlocks));
    }

    [Fact]
    public async Task ACpuPoolIsInMemoryOnlyAsFarAsRequestsReachedIt()
    {
        var deployment = await Deploy(kvTokens: 512);                   // 32 blocks and the scratch block
        var before = (await _cluster.Shards(deployment))[0];
        var blockBytes = before.KvBytes / (before.KvBlocks + 1);
        Assert.Equal(blockBytes, before.KvResidentBytes);               // the scratch block alone
        await _cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, PromptIds = [1, 17, 2], MaxTokens = 40, IgnoreEos = true });
        var after = (await _cluster.Shards(deployment))[0];
        Assert.Equal((before.KvBytes, 4 * blockBytes), (after.KvBytes, after.KvResidentBytes)); // 43 tokens: 3 blocks
    }

    [Fact]
    public async Task ARequestLargerThanTheWholeCacheIsRefusedWithTheNumbers()
    {
        var deployment = await Deploy(kvTokens: 64);
        var e = await Assert.ThrowsAsync<OlmException>(() => _cluster.Generate(
            new GenerateRequest { DeploymentId = deployment.Id, PromptIds = [1, 2, 3], MaxTokens = 100 }));
        Assert.Contains("needs up to 103 tokens of KV cache; the whole cache holds 64", e.Message);
        var ok = await _cluster.Generate(new GenerateRequest { DeploymentId = deployment.Id, PromptIds = [1, 2, 3], MaxTokens = 4 });
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
