using Orleans.TestingHost;
using Xunit;

namespace OrleansLlm.Tests.Cluster;

/// <summary>One 2-silo cluster shared by the cluster tests that do not kill silos or squeeze memory.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await OlmTestCluster.StartAsync(silos: 2);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
