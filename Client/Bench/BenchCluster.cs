using OrleansLlm.Client.Connection;

namespace OrleansLlm.Client.Bench;

/// <summary>
/// The cluster a benchmark runs on: K silo processes over loopback (with their threads and memory budget), an embedded
/// cluster, or a running one through its gateway. Disposing it stops what it started.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly SiloProcesses? _silos;
    private readonly ClusterConnection _connection;

    private BenchCluster(SiloProcesses? silos, ClusterConnection connection) => (_silos, _connection) = (silos, connection);

    public IClusterClient Client => _connection.Client;

    public sealed record Options(int Processes, int Threads, double MemoryGiB, string Device, string? Gateway, int Silos, string ClusterId);

    public static async Task<BenchCluster> OpenAsync(Options o, CancellationToken ct)
    {
        var silos = o.Processes > 0
            ? await SiloProcesses.StartAsync(o.Processes, o.Device, o.Threads > 0 ? o.Threads : Math.Max(1, Environment.ProcessorCount / o.Processes),
                o.MemoryGiB, Console.Error)
            : null;
        try
        {
            var connection = await ClusterConnection.ConnectAsync(silos?.Gateway ?? o.Gateway, o.Silos, o.Device, ct,
                silos?.ClusterId ?? o.ClusterId, o.MemoryGiB);
            return new BenchCluster(silos, connection);
        }
        catch
        {
            if (silos is not null) await silos.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        if (_silos is not null) await _silos.DisposeAsync();
    }
}
