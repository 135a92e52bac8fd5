using OrleansLlm.Silo.Http;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// A silo with its HTTP API on loopback, an API key, and three deployments: the demo model as "stories260K" (the way
/// --serve names it), llama-tiny, which has no chat template, and llama-tiny with Qwen3's template as "qwen3-chat".
/// </summary>
public sealed class FrontDoorFixture : IAsyncLifetime
{
    public const string Key = "test-key";
    private ApiSilo _api = null!;
    private readonly Chat.Qwen3ChatFolder _qwen3Chat = new();

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
        await _api.DeployAsync("qwen3-chat", _qwen3Chat.Dir);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _qwen3Chat.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FrontDoorCollection : ICollectionFixture<FrontDoorFixture>
{
    public const string Name = "front door";
}
