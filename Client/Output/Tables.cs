using OrleansLlm.Grains.Interfaces;
using Spectre.Console;

namespace OrleansLlm.Client.Output;

/// <summary>Human-readable tables of silos, deployments and shards.</summary>
internal static class Tables
{
    public static async Task<SiloInventory[]> Inventories(IClusterClient client)
    {
        var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var inventories = await Task.WhenAll(hosts.Keys.Select(async s =>
        {
            try { return await client.GetGrain<ISiloInventoryGrain>(s.ToParsableString()).GetAsync(); }
            catch (Exception) { return null; } // died since the list was made: not part of the cluster any more
        }));
        return inventories.OfType<SiloInventory>().ToArray();
    }

    public static async Task<ShardStatus?[]> ShardStatuses(IClusterClient client, DeploymentInfo d) =>
        await Task.WhenAll(d.Shards.Select(async s =>
        {
            try { return await client.GetGrain<IShardGrain>(s.GrainKey).StatusAsync(); }
            catch (Exception) { return null; } // its silo is gone: shown as unreachable
        }));

    public static void Silos(IEnumerable<SiloInventory> silos)
    {
        var table = new Table().AddColumns("silo", "device", "budget", "reserved", "free");
        foreach (var s in silos)
            foreach (var d in s.Devices)
                table.AddRow(Markup.Escape(s.Silo), d.Device, Mib(d.BudgetBytes), Mib(d.ReservedBytes), Mib(d.FreeBytes));
        AnsiConsole.Write(table);
    }

    public static void Deployment(DeploymentInfo d, ShardStatus?[] statuses)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(d.Id)}[/] {Markup.Escape(d.Spec.Model)} ({d.Architecture}) " +
                               $"{EnumText<Strategy>.Name(d.Spec.Strategy)} x{d.Spec.Shards} {EnumText<DType>.Name(d.Spec.DType)}: [bold]{EnumText<DeploymentState>.Name(d.State)}[/]{Markup.Escape(d.Error is null ? "" : " " + d.Error)}");
        var table = new Table().AddColumns("shard", "silo", "device", "slice", "weights", "KV in use", "requests");
        foreach (var (plan, status) in d.Shards.Zip(statuses))
        {
            var slice = plan.Slice;
            table.AddRow(plan.Index.ToString(), Markup.Escape(plan.Silo), plan.Device,
                $"layers {slice.LayerStart}-{slice.LayerEnd}, kv {slice.KvHeadStart}-{slice.KvHeadEnd}, ffn {slice.FfnStart}-{slice.FfnEnd}",
                Mib(plan.WeightBytes), status is null ? "[red]unreachable[/]" : Mib(status.KvBytes),
                status?.ActiveRequests.ToString() ?? "-");
        }
        AnsiConsole.Write(table);
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
