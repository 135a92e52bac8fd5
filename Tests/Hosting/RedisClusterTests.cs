using OrleansLlm.Grains.Interfaces.Connection;
using System.Net;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Client;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>
/// Silos as real processes on loopback with their membership and control state in a Redis of the test's own: the first
/// silo dies (kill -9) and the others serve on; Redis goes away under a running generation and comes back.
/// </summary>
public sealed class RedisClusterTests
{
    private static readonly int[] Prompt = [5, 6, 7];

    private static string[] SiloArgs(RedisServer redis, string clusterId, int[] ports, params string[] more) =>
    [
        "--listen", "127.0.0.1", "--advertise", "127.0.0.1", "--redis", redis.Address, "--cluster-id", clusterId,
        "--silo-port", ports[0].ToString(), "--gateway-port", ports[1].ToString(), "--threads", "1", .. more,
    ];

    [SkippableFact]
    public async Task TheFirstSiloKilledTheOthersServeOnAndTakeNewRequests()
    {
        Skip.If(RedisServer.Binary is null, RedisServer.MissingReason);
        await using var redis = await RedisServer.StartAsync();
        const string clusterId = "olm-first-dies";
        var ports = LoopbackPorts.Free(4);
        // The first silo has no room for weights: it holds only the control grains (deployed through its gateway).
        await using var first = await SiloProcess.StartAsync(SiloArgs(redis, clusterId, ports[..2], "--memory-gb", "0.0001"));
        await using var second = await SiloProcess.StartAsync(SiloArgs(redis, clusterId, ports[2..]));
        var model = new Fixture("llama-tiny").Dir;
        var access = new ClusterAccess { ClusterId = clusterId, Redis = redis.Address };
        await using (var throughFirst = await TestClient.ConnectAsync(new ClusterAccess { ClusterId = clusterId }, new IPEndPoint(IPAddress.Loopback, ports[1])))
            await throughFirst.DeployAsync(model);

        first.Kill();

        var want = await Greedy.Ids(model, Prompt, 6);
        string? last = null;
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var (code, stdout, stderr) = await OlmProcess.Run("generate", "--model", model, "--prompt-ids", "5,6,7",
                "--max-tokens", "6", "--redis", redis.Address, "--cluster-id", clusterId, "--json");
            if (code == 0)
            {
                Assert.Equal(want, OlmProcess.LastJson(stdout).GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
                Assert.Contains("is dead", second.Log);
                return;
            }
            last = stderr;
            Assert.Single(stderr.Trim().Split('\n'));
            await Task.Delay(500);
        }
        Assert.Fail($"no request served after the first silo died; last error: {last}");
    }

    [SkippableFact]
    public async Task ARunningGenerationOutlivesARedisOutageAndNewClientsComeBackWithIt()
    {
        Skip.If(RedisServer.Binary is null, RedisServer.MissingReason);
        await using var redis = await RedisServer.StartAsync();
        const string clusterId = "olm-redis-away";
        var ports = LoopbackPorts.Free(2);
        await using var silo = await SiloProcess.StartAsync(SiloArgs(redis, clusterId, ports));
        var model = new Fixture("llama-tiny").Dir;
        var want = await Greedy.Ids(model, Prompt, 200);
        await using var client = await TestClient.ConnectAsync(new ClusterAccess { ClusterId = clusterId }, new IPEndPoint(IPAddress.Loopback, ports[1]));
        var deployment = await client.DeployAsync(model);

        var got = new List<int>();
        await foreach (var chunk in client.GenerateAsync(deployment.Id, Prompt, 200))
        {
            if (got.Count == 0) redis.Stop(); // after the first token, with the rest still to come
            got.AddRange(chunk.Ids);
        }
        Assert.Equal(want, got);

        var (code, _, stderr) = await OlmProcess.Run("status", "--redis", redis.Address, "--cluster-id", clusterId);
        Assert.NotEqual(0, code);
        Assert.StartsWith("olm: ", Assert.Single(stderr.Trim().Split('\n')));
        Assert.Contains($"cannot reach Redis at {redis.Address}", stderr);

        await redis.StartAgainAsync();
        await GenerationWaits.Until(async () => (await OlmProcess.Run("status", "--redis", redis.Address, "--cluster-id", clusterId)).Code == 0, tries: 5);
        await GenerationWaits.Until(() => Task.FromResult(silo.Log.Contains($"Redis at {redis.Address} is back")));
        Assert.Single(silo.Log.Split('\n'), l => l.Contains($"Redis at {redis.Address} is unreachable"));
    }
}

/// <summary>Polls a condition a bounded number of times (no timing is asserted, only that it comes).</summary>
internal static class GenerationWaits
{
    public static async Task Until(Func<Task<bool>> condition, int tries = 60)
    {
        for (var i = 0; i < tries; i++)
        {
            if (await condition()) return;
            await Task.Delay(500);
        }
        Assert.Fail($"condition not reached in {tries} tries");
    }
}
