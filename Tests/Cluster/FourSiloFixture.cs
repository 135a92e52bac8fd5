using Orleans.TestingHost;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>
/// One 4-silo cluster for the multi-shard strategies. KV travels in pieces of at most 2 KiB between its silos, so
/// sequence-parallel blocks cross the wire cut into several pieces, as long prompts' blocks do at the real cap.
/// </summary>
public sealed class FourSiloFixture : IAsyncLifetime
{
    public const long KvPieceBytes = 2048;

    public TestCluster Cluster { get; private set; } = null!;
    public async Task InitializeAsync() => Cluster = await OlmTestCluster.StartAsync(silos: 4, kvPieceBytes: KvPieceBytes);
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class FourSiloCollection : ICollectionFixture<FourSiloFixture>
{
    public const string Name = "four silos";
}
