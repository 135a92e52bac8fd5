using Microsoft.Extensions.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Tests.Cluster;

/// <summary>An in-process cluster of silos that serialize between each other, as separate machines would.</summary>
public static class OlmTestCluster
{
    /// <summary>
    /// <paramref name="gatewayOnFirstOnly"/>: clients reach the cluster through the first silo alone, so their request
    /// grains live there (tests that kill other silos keep the caller's side).
    /// </summary>
    /// <param name="modelDirs">Model directories: the first silo's, then the others' (tests of silos without a model's folder).</param>
    public static async Task<TestCluster> StartAsync(int silos, double memoryGiB = 0, long kvPieceBytes = 0, bool gatewayOnFirstOnly = false,
        (string First, string Others)? modelDirs = null, long weightPieceBytes = 0)
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.Options.GatewayPerSilo = !gatewayOnFirstOnly;
        if (modelDirs is { } dirs) (builder.Properties["FirstModelDir"], builder.Properties["OtherModelDir"]) = dirs;
        builder.Properties["WeightPieceBytes"] = weightPieceBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["MemoryGiB"] = memoryGiB.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["KvPieceBytes"] = kvPieceBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var options = new OlmSiloOptions
            {
                MemoryGiB = double.Parse(silo.Configuration["MemoryGiB"] ?? "0", System.Globalization.CultureInfo.InvariantCulture),
                Threads = 1,
            };
            if (long.Parse(silo.Configuration["KvPieceBytes"] ?? "0", System.Globalization.CultureInfo.InvariantCulture) is > 0 and var piece)
                options.KvPieceBytes = piece;
            if (long.Parse(silo.Configuration["WeightPieceBytes"] ?? "0", System.Globalization.CultureInfo.InvariantCulture) is > 0 and var weights)
                options.WeightPieceBytes = weights;
            // The first silo is "Primary" (TestingHost's name), the rest "Secondary_N".
            options.ModelDirectory = silo.Configuration[silo.Configuration["Orleans:Name"] == "Primary" ? "FirstModelDir" : "OtherModelDir"];
            silo.AddOrleansLlm(options);
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, Orleans.Hosting.IClientBuilder client) =>
            client.AddMemoryStreams(Grains.Interfaces.StreamNames.Provider)
                .Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = Grains.Interfaces.ClusterNames.ResponseTimeout);
    }
}
