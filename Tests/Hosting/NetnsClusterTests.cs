using OrleansLlm.Tests.Client;
using OrleansLlm.Tests.Engine;
using Xunit;

namespace OrleansLlm.Tests.Hosting;

/// <summary>
/// Three silos as three hosts (network namespaces, one address each on a bridge), Redis as a fourth, `olm` from this
/// machine: the README's multi-machine walkthrough, with the first silo killed midway.
/// </summary>
[Collection(NetnsHosts.Collection)]
public sealed class NetnsClusterTests
{
    [SkippableFact]
    public async Task HostsOnABridgeServeAndTheFirstHostsLossLeavesTheOthersServing()
    {
        var unavailable = NetnsHosts.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        await using var hosts = await NetnsHosts.UpAsync(3);
        var model = new Fixture("llama-tiny").Dir;
        var filler = new Fixture("qwen2-tiny").Dir;
        var want = await Greedy.Ids(model, [5, 6, 7], 6);
        // Through the first host's gateway: the control grains live there, and the filler's one shard (the planner
        // breaks ties in silo order); the two pipeline shards go to the second and third hosts.
        var first = $"{hosts.Address(0)}:30000";
        // Lasting deployments (`olm deploy`): a generate alone would deploy a copy for itself and undeploy it at exit.
        Assert.Equal(0, (await Olm(hosts, "deploy", "--model", filler, "--gateway", first, "--cluster-id", hosts.Name)).Code);
        Assert.Equal(0, (await Olm(hosts, "deploy", "--model", model, "--shards", "2", "--strategy", "pipeline", "--gateway", first, "--cluster-id", hosts.Name)).Code);
        var (code, stdout, stderr) = await Olm(hosts, "generate", "--model", model, "--shards", "2", "--strategy", "pipeline", "--prompt-ids", "5,6,7",
            "--max-tokens", "6", "--gateway", first, "--cluster-id", hosts.Name, "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(want, Ids(stdout));

        await hosts.RunAsync("kill", "0");

        await GenerationWaits.Until(async () =>
        {
            (code, stdout, stderr) = await Olm(hosts, "generate", "--model", model, "--shards", "2", "--strategy", "pipeline", "--prompt-ids", "5,6,7",
                "--max-tokens", "6", "--redis", hosts.Redis, "--cluster-id", hosts.Name, "--json");
            return code == 0;
        }, tries: 20);
        Assert.Equal(want, Ids(stdout));
        // The filler's one shard died with the first host: it was planned again on the others.
        await GenerationWaits.Until(async () =>
        {
            (_, stdout, _) = await Olm(hosts, "status", "--redis", hosts.Redis, "--cluster-id", hosts.Name, "--json");
            return OlmProcess.LastJson(stdout).GetProperty("deployments").EnumerateArray().All(d => d.GetProperty("state").GetString() == "ready");
        }, tries: 20);
        Assert.Contains("is dead", hosts.Log(1));
        // The survivors' ledgers: once both deployments are gone, nothing the loss or the re-plan took stays reserved.
        foreach (var id in OlmProcess.LastJson(stdout).GetProperty("deployments").EnumerateArray().Select(d => d.GetProperty("id").GetString()!))
            Assert.Equal(0, (await Olm(hosts, "undeploy", id, "--redis", hosts.Redis, "--cluster-id", hosts.Name)).Code);
        Assert.Equal(0, await Reserved(hosts, 1, 2));
    }

    /// <summary>Bytes reserved on the given hosts' devices, from `olm status`.</summary>
    private static async Task<long> Reserved(NetnsHosts hosts, params int[] silos)
    {
        var (_, stdout, _) = await Olm(hosts, "status", "--redis", hosts.Redis, "--cluster-id", hosts.Name, "--json");
        var addresses = silos.Select(hosts.Address).ToHashSet();
        return OlmProcess.LastJson(stdout).GetProperty("silos").EnumerateArray()
            .Where(s => addresses.Contains(s.GetProperty("silo").GetString()!.Split(':')[0]))
            .SelectMany(s => s.GetProperty("devices").EnumerateArray()).Sum(d => d.GetProperty("reserved_bytes").GetInt64());
    }

    private static Task<(int Code, string Out, string Err)> Olm(NetnsHosts hosts, params string[] args) => OlmProcess.Run([.. args, .. hosts.ClientTls]);

    private static int[] Ids(string stdout) =>
        OlmProcess.LastJson(stdout).GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
