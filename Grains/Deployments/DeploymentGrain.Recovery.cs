using OrleansLlm.Grains.Compute;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// Losing a silo (or draining one): the deployment is planned again over the silos that are left and loaded there,
/// while its requests wait and then resume on the new plan (ResumingTokenStream). Every shard's pool holds part of
/// every request's KV cache, so every running request rebuilds its cache anyway; the surviving shards are unloaded too
/// and the whole spec is planned afresh, which keeps the split balanced over what is left.
/// </summary>
public sealed partial class DeploymentGrain
{
    private const int ReplanAttempts = 3;
    private readonly HashSet<string> _dead = [];
    private Task? _recovery;

    public Task SiloDiedAsync(string silo)
    {
        _dead.Add(silo);
        if (Info is not { State: DeploymentState.Ready or DeploymentState.Recovering } info) return Task.CompletedTask;
        var lost = info.Shards.Where(s => s.Silo == silo).Select(s => s.Index).ToList();
        // A running recovery excludes the dead silo from its next plan (a load there fails and it plans again).
        if (lost.Count == 0 || _recovery is { IsCompleted: false }) return Task.CompletedTask;
        _recovery = Replan($"silo {silo} died with shard(s) {string.Join(", ", lost)}", leaving: null);
        return Task.CompletedTask;
    }

    public async Task DrainAsync(string silo)
    {
        if (Info is { State: DeploymentState.Ready } info && info.Shards.Any(s => s.Silo == silo) && _recovery is not { IsCompleted: false })
            _recovery = Replan($"silo {silo} is stopping", leaving: silo);
        if (_recovery is { } running) await running;
    }

    /// <summary>Unloads what is left, plans the spec over the live silos (less <paramref name="leaving"/>) and loads it.</summary>
    private async Task Replan(string cause, string? leaving)
    {
        await Save(Info! with { State = DeploymentState.Recovering, Error = cause });
        await Events().OnNextAsync(new DeploymentEvent(Id, -1, DeploymentEventKind.Failed, 0, $"{cause}; planning it again on the other silos"));
        for (var attempt = 1; ; attempt++)
        {
            await UnloadShards();
            if (Info is not { State: DeploymentState.Recovering } info) return; // undeployed meanwhile
            try
            {
                var silos = (await Inventories()).Where(s => s.Silo != leaving && !_dead.Contains(s.Silo)).ToList();
                if (silos.Count == 0) throw new OlmException("no silo is left to hold it");
                await Readable(info.Spec.Model, silos);
                var config = ModelSource.Config(folders.Resolve(info.Spec.Model));
                var shards = Planner.Plan(Id, info.Spec, config, silos);
                var blocks = KvPoolSizing.Blocks(info.Spec, config, shards, silos);
                await Save(info with { Shards = shards, KvBlocks = blocks, Epoch = info.Epoch + 1 });
                await LoadShards(info.Spec, shards, blocks, _dead);
                await Save(Info! with { State = DeploymentState.Ready, Error = null });
                await Events().OnNextAsync(new DeploymentEvent(Id, -1, DeploymentEventKind.Ready, 1));
                return;
            }
            catch (Exception e) when (attempt < ReplanAttempts && Info is { State: DeploymentState.Recovering } && ShardLoss.Is(e))
            {
                // A silo of the new plan was lost while it loaded (noted as dead): plan again without it.
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            catch (Exception e)
            {
                await UnloadShards();
                if (Info is null) return;
                var error = $"{cause}; it cannot be planned again on the silos left: {(EngineErrors.Translated(e) ?? e).Message}";
                await Save(Info with { State = DeploymentState.Failed, Error = error });
                await Events().OnNextAsync(new DeploymentEvent(Id, -1, DeploymentEventKind.Failed, 0, error));
                return;
            }
        }
    }
}
