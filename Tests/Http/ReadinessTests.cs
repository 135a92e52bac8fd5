using System.Net;
using System.Text.Json;
using OrleansLlm.Silo.Http;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>/ready on a silo that serves nothing yet: 503 until a model is deployed, then 200 naming it; /health all along.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task ReadyIs503UntilAModelIsServed()
    {
        await using var api = await ApiSilo.StartAsync("olm-http-ready", port => new FrontDoorSettings { Port = port, ApiKeys = ["k"] });
        using var anonymous = new HttpClient { BaseAddress = api.BaseAddress };
        var (status, body) = await Get(anonymous, "ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not_ready", body.GetProperty("status").GetString());
        Assert.Empty(body.GetProperty("models").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await Get(anonymous, "health")).Status);

        await api.DeployAsync("stories260K", DemoModelTests.Dir);
        (status, body) = await Get(anonymous, "ready");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal(["stories260K"], body.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Get(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }
}
