using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Deployments;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Cluster;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Memory;

/// <summary>
/// A silo whose budget holds llama-tiny's embedding, head and KV cache and about two and a half of its half-layer
/// blocks, but not all four: the planner streams the layers through a window of two, and greedy ids stay the
/// resident model's (computed in this process).
/// </summary>
public sealed class AutoWindowTests : IAsyncLifetime
{
    private static readonly Fixture Tiny = new("llama-tiny");
    private Orleans.TestingHost.TestCluster _cluster = null!;

    private static double BudgetGiB()
    {
        var (c, s) = (Tiny.Config, ModelSlice.Full(Tiny.Config));
        var kv = Math.Ceiling(Planner.MinimumKvBytes(c, s, ScalarType.Float32) / KvPoolSizing.DeviceShare);
        var pair = WeightFit.PairBytes(c, s, ScalarType.Float32, int8: false);
        return (ModelSizing.ResidentBytes(c, s, ScalarType.Float32) + kv + 1.5 * pair) / (1L << 30);
    }

    public async Task InitializeAsync() => _cluster = await OlmTestCluster.StartAsync(silos: 1, memoryGiB: BudgetGiB());

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task ASliceThatDoesNotFitIsStreamedThroughAWindowAndGivesTheResidentIds()
    {
        var spec = new DeploySpec { Model = Tiny.Dir };
        var d = await _cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);
        Assert.Equal((2, 4), (d.Shards[0].Window, d.Shards[0].Blocks));
        var prompt = Tiny.GreedyIds[..Tiny.PromptLength].Select(i => (int)i).ToArray();
        var n = Tiny.GreedyIds.Length - Tiny.PromptLength;
        var got = (await _cluster.Generate(new GenerateRequest { DeploymentId = d.Id, PromptIds = prompt, MaxTokens = n, IgnoreEos = true })).Ids();
        Assert.Equal(Tiny.GreedyIds[Tiny.PromptLength..].Select(i => (int)i), got);
    }

    [Fact]
    public async Task Int8FitsWhereFloat32NeedsAWindow()
    {
        var spec = new DeploySpec { Model = Tiny.Dir, Weights = new WeightSettings { Quantize = Quantization.Int8 } };
        var d = await _cluster.GrainFactory.GetGrain<IDeploymentGrain>(spec.DefaultId()).DeployAsync(spec);
        Assert.Equal(0, d.Shards[0].Window);
    }
}
