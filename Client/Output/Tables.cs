using OrleansLlm.Client.Connection;
using OrleansLlm.Grains.Interfaces;
using Spectre.Console;

namespace OrleansLlm.Client.Output;

/// <summary>Human-readable tables of silos, deployments and shards.</summary>
internal static class Tables
{
    /// <summary>stdout; piped, a table keeps its rows whole instead of wrapping at 80 columns.</summary>
    private static readonly IAnsiConsole Out = Console.IsOutputRedirected ? Piped() : AnsiConsole.Console;

    private static IAnsiConsole Piped()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 4096;
        return console;
    }

    public static async Task<SiloInventory[]> Inventories(IClusterClient client)
    {
        var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var inventories = await Task.WhenAll(hosts.Keys.Select(async s =>
        {
            try { return await client.GetGrain<ISiloInventoryGrain>(s.ToParsableString()).GetAsync(); }
            catch (Exception e) when (ClusterErrors.SiloGone(e)) { return null; } // died since the list was made: not part of the cluster any more
        }));
        return inventories.OfType<SiloInventory>().ToArray();
    }

    public static async Task<ShardStatus?[]> ShardStatuses(IClusterClient client, DeploymentInfo d) =>
        await Task.WhenAll(d.Shards.Select(async s =>
        {
            try { return await client.GetGrain<IShardGrain>(s.GrainKey).StatusAsync(); }
            catch (Exception e) when (ClusterErrors.SiloGone(e)) { return null; } // its silo is gone: shown as unreachable
        }));

    public static void Silos(IEnumerable<SiloInventory> silos)
    {
        var table = new Table().AddColumns("silo", "device", "budget", "reserved", "free");
        foreach (var s in silos)
            foreach (var d in s.Devices)
                table.AddRow(Markup.Escape(s.Silo), d.Device, Mib(d.BudgetBytes), Mib(d.ReservedBytes), Mib(d.FreeBytes));
        Out.Write(table);
    }

    public static void Deployment(DeploymentInfo d, ShardStatus?[] statuses)
    {
        Out.MarkupLine($"[bold]{Markup.Escape(d.Id)}[/] {Markup.Escape(d.Spec.Model)} ({d.Architecture}) " +
                               $"{EnumText<Strategy>.Name(d.Spec.Strategy)} x{d.Spec.Shards} {EnumText<DType>.Name(d.Spec.DType)}{Markup.Escape(d.Spec.Weights.IsDefault ? "" : $" {d.Spec.Weights}")}: [bold]{EnumText<DeploymentState>.Name(d.State)}[/]{Markup.Escape(d.Error is null ? "" : " " + d.Error)}");
        // Every shard's pool is laid out by the entry's block tables, so its counts stand for all of them.
        var entry = statuses.FirstOrDefault(st => st is { KvBlocksUsed: >= 0 });
        var table = new Table().AddColumns("shard", "silo", "device", "slice", "weights", "KV", "KV blocks used/free", "requests");
        foreach (var (plan, status) in d.Shards.Zip(statuses))
        {
            var slice = plan.Slice;
            var blocks = status is null ? "-" : status.KvBlocks == 0 ? "(per request)"
                : entry is null ? $"?/{status.KvBlocks}" : $"{entry.KvBlocksUsed}/{status.KvBlocks - entry.KvBlocksUsed}";
            table.AddRow(plan.Index.ToString(), Markup.Escape(plan.Silo), plan.Device,
                $"layers {slice.LayerStart}-{slice.LayerEnd}, kv {slice.KvHeadStart}-{slice.KvHeadEnd}, ffn {slice.FfnStart}-{slice.FfnEnd}",
                Markup.Escape(Weights(d, plan, status)), status is null ? "[red]unreachable[/]" : Kv(status), blocks,
                status is null ? "-" : status.KvBlocksUsed >= 0 ? $"{status.ActiveRequests - status.WaitingRequests} running, {status.WaitingRequests} waiting" : status.ActiveRequests.ToString());
        }
        Out.Write(table);
        if (entry is { Preemptions: > 0 }) Out.MarkupLine($"preemptions so far: {entry.Preemptions}");
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";

    /// <summary>A shard's KV reservation, and how much of it is in memory where that is less (a CPU pool grows into it).</summary>
    private static string Kv(ShardStatus s) =>
        Mib(s.KvBytes) + (s.KvResidentBytes < s.KvBytes ? $" ({Mib(s.KvResidentBytes)} in memory)" : "");

    /// <summary>
    /// Weights a shard holds: int8 says so, a weight window shows how many of its half-layer blocks it holds at once, and a
    /// sparse shard the share of heads and neurons its decode skips (a recall target's, as resolved at load).
    /// </summary>
    private static string Weights(DeploymentInfo d, ShardPlan plan, ShardStatus? status) =>
        Mib(plan.WeightBytes) + (d.Spec.Weights.Quantize == Quantization.None ? "" : d.Spec.Weights.Static ? " int8 static" : " int8")
        + (plan.Window > 0 ? $", window {plan.Window}/{plan.Blocks} blocks" : "")
        + (status?.Weights is { Shadows.Length: > 0 } w ? $", {w.Shadows}" : "")
        + (status?.Weights is { Sparsity: > 0 } sp ? $", decode skips {sp.Sparsity:P0}" : "");
}
