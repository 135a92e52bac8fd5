using Microsoft.Extensions.Logging;
using OrleansLlm.Silo.Http;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>
/// A silo whose API has two keys, at most two generations at once per key, an 8 MB body limit, one second for headers
/// and two before a body must keep its rate, /metrics behind the key, and its log kept; the demo model served.
/// </summary>
public sealed class LimitsFixture : IAsyncLifetime
{
    public const string KeyA = "key-a", KeyB = "key-b";
    public const int MaxConcurrent = 2, MaxBodyMb = 8;
    private ApiSilo _api = null!;

    public CapturedLogs Logs { get; } = new();
    public HttpClient Http => _api.Http;
    public Uri BaseAddress => _api.BaseAddress;
    public int Port => _api.Port;
    public IServiceProvider Services => _api.Services;

    public async Task InitializeAsync()
    {
        _api = await ApiSilo.StartAsync("olm-http-limits", port => new FrontDoorSettings
        {
            Port = port, ApiKeys = [KeyA, KeyB], MaxConcurrentPerKey = MaxConcurrent, MaxBodyMb = MaxBodyMb,
            HeadersTimeoutSeconds = 1, BodyTimeoutSeconds = 2, MetricsRequireKey = true,
        }, logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Information));
        await _api.DeployAsync("stories260K", DemoModelTests.Dir);
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }
}

/// <summary>Alone, because one of its tests weighs the process's managed memory.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LimitsCollection : ICollectionFixture<LimitsFixture>
{
    public const string Name = "front door limits";
}
