using OrleansLlm.Silo.Http;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// A silo with its HTTP API on loopback, an API key, and two deployments: the demo model as "stories260K" (the way
/// --serve names it) and llama-tiny, which has no chat template.
/// </summary>
public sealed class FrontDoorFixture : IAsyncLifetime
{
    public const string Key = "test-key";
    private ApiSilo _api = null!;

    public IClusterClient Cluster => _api.Cluster;
    public IServiceProvider Services => _api.Services;
    public HttpClient Http => _api.Http;
    public Uri BaseAddress => _api.BaseAddress;
    public int Port => _api.Port;

    public async Task InitializeAsync()
    {
        _api = await ApiSilo.StartAsync("olm-http-test", port => new FrontDoorSettings { Port = port, ApiKeys = [Key] });
        await _api.DeployAsync("stories260K", DemoModelTests.Dir);
        await _api.DeployAsync("llama-tiny", Fixture.DirOf("llama-tiny"));
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class FrontDoorCollection : ICollectionFixture<FrontDoorFixture>
{
    public const string Name = "front door";
}
