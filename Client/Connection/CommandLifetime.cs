using Microsoft.Extensions.Hosting;

namespace OrleansLlm.Client.Connection;

/// <summary>
/// The lifetime of olm's hosts (its client, its embedded silos): they start and stop when the command says and leave
/// Ctrl+C to it. A console lifetime would also stop them on Ctrl+C, under the request being cancelled.
/// </summary>
internal sealed class CommandLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
