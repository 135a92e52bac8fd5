using Orleans.Streams;
using OrleansLlm.Grains.Interfaces;
using Spectre.Console;

namespace OrleansLlm.Client.Output;

/// <summary>Shows a progress bar per shard from the deployment's event stream while the deployment loads.</summary>
internal static class DeployProgress
{
    public static async Task<DeploymentInfo> RunAsync(IClusterClient client, string deploymentId,
        Func<Task<DeploymentInfo>> deploy, bool quiet)
    {
        if (quiet || Console.IsErrorRedirected) return await deploy();
        var stream = client.GetStreamProvider(StreamNames.Provider).GetStream<DeploymentEvent>(StreamNames.Deployments, deploymentId);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        DeploymentInfo? result = null;
        await console.Progress().AutoClear(true).StartAsync(async ctx =>
        {
            var bars = new Dictionary<int, ProgressTask>();
            var handle = await stream.SubscribeAsync((e, _) =>
            {
                if (e.Shard < 0) return Task.CompletedTask;
                if (!bars.TryGetValue(e.Shard, out var bar))
                    bars[e.Shard] = bar = ctx.AddTask($"shard {e.Shard}", maxValue: 1.0);
                bar.Value = e.Kind == DeploymentEventKind.Loaded ? 1.0 : e.Progress;
                if (e.Kind == DeploymentEventKind.Failed) bar.Description = $"shard {e.Shard} [red]failed[/]";
                return Task.CompletedTask;
            });
            try { result = await deploy(); }
            finally { await handle.UnsubscribeAsync(); }
        });
        return result!;
    }
}
