using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Cluster;
using Xunit;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>
/// Sparse deployments on a 2-silo cluster: a recall target, on one shard and on two tensor-parallel ranks, gives the ids
/// of the sparsity it stands for, and every shard reports the share its decode skips.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SparsityClusterTests(ClusterFixture fixture, SparsifiedModel model) : IClassFixture<SparsifiedModel>
{
    private Orleans.TestingHost.TestCluster Cluster => fixture.Cluster;

    private async Task<DeploymentInfo> Deploy(DeploySpec spec) =>
        await Cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);

    private async Task<int[]> Greedy(DeploymentInfo d) =>
        (await Cluster.Generate(new GenerateRequest { DeploymentId = d.Id, PromptIds = [1, 403, 407, 261, 379], MaxTokens = 12, IgnoreEos = true })).Ids();

    [Theory]
    [InlineData(Strategy.Single, 1)]
    [InlineData(Strategy.Tensor, 2)]
    public async Task ARecallTargetDeploysTheSparsityItStandsFor(Strategy strategy, int shards)
    {
        var h = model.Header;
        var target = Enumerable.Range(0, h.Layers).Min(l => Math.Min(h.MlpRecallByLevel[l][9], h.HeadRecallByLevel[l][9]));  // 50%
        var share = h.SparsityFor(target, model.Dir);
        var bySpec = new DeploySpec { Model = model.Dir, Strategy = strategy, Shards = shards };
        var byShare = await Deploy(bySpec with { Sparsity = new SparsitySettings { Sparsity = share } });
        var byRecall = await Deploy(bySpec with { Sparsity = new SparsitySettings { Recall = target } });
        Assert.Equal(await Greedy(byShare), await Greedy(byRecall));
        Assert.All(await Cluster.Shards(byRecall), s => Assert.Equal(share, s.Weights!.Sparsity));
        Assert.All(await Cluster.Shards(await Deploy(bySpec)), s => Assert.Equal(0, s.Weights!.Sparsity));
    }
}
