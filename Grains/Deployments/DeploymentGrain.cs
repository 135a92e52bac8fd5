using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;
using OrleansLlm.Grains.Streams;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// A deployed model: plans it over the silos' devices, has the shards load, and keeps the plan for request grains.
/// The plan and state live in control storage, so the grain comes back on another silo after its own silo's loss; a
/// lost or draining silo's shards are planned again on the rest (DeploymentGrain.Recovery.cs).
/// </summary>
[ControlPlacement, CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class DeploymentGrain(Weights.ModelFolders folders, IClusterMembershipService membership,
    [PersistentState("deployment", ControlStorage.Name)] IPersistentState<DeploymentRecord> state, ILogger<DeploymentGrain> log)
    : Grain, IDeploymentGrain
{
    private readonly SavedState<DeploymentRecord> _saved = new(state);
    private Task<DeploymentInfo>? _deploying;
    private RunaheadTuner? _runahead;

    private string Id => this.GetPrimaryKeyString();

    private DeploymentInfo? Info => _saved.Value.Info;

    private Task Save(DeploymentInfo? info) => _saved.SaveAsync(new DeploymentRecord { Info = info });

    public Task<DeploymentInfo?> GetAsync() => Task.FromResult(Info);

    /// <summary>
    /// Back on a silo after its previous one died (or after the cluster restarted): a load it was running is lost,
    /// and shards on silos that are gone are failed, as their deaths may have been reported to no one.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Info is { State: DeploymentState.Loading } interrupted)
        {
            await UnloadShards();
            await Save(interrupted with { State = DeploymentState.Failed, Error = "the silo running its deploy died while the shards loaded; deploy again" });
        }
        var live = membership.CurrentSnapshot.Members.Where(m => m.Value.Status != SiloStatus.Dead)
            .Select(m => m.Key.ToParsableString()).ToHashSet();
        var gone = Info?.Shards.Select(s => s.Silo).Distinct().Where(s => !live.Contains(s)).ToList() ?? [];
        foreach (var silo in gone) _dead.Add(silo);
        // A recovery the previous activation was running, or a loss no one reported: plan again here.
        if (Info is { State: DeploymentState.Recovering } || (Info is { State: DeploymentState.Ready } && gone.Count > 0))
            _recovery = Replan(Info.Error ?? $"silo(s) {string.Join(", ", gone)} died with shards", leaving: null);
    }

    public async Task<DeploymentInfo> DeployAsync(DeploySpec spec)
    {
        if (Info is { State: DeploymentState.Ready or DeploymentState.Loading or DeploymentState.Recovering } existing)
            return existing.Spec.SameAs(spec) ? await (_deploying ?? Task.FromResult(existing))
                : throw new OlmException($"deployment '{Id}' already holds another model or plan; undeploy it first");
        _deploying = EngineErrors.Translate(() => Deploy(spec));
        return await _deploying;
    }

    private async Task<DeploymentInfo> Deploy(DeploySpec spec)
    {
        var silos = await Inventories();
        await Readable(spec.Model, silos);
        var model = folders.Resolve(spec.Model);
        var config = ModelSource.Config(model);
        var shards = Planner.Plan(Id, spec, config, silos);
        var blocks = KvPoolSizing.Blocks(spec, config, shards, silos);
        await Save(new DeploymentInfo
        {
            Id = Id, Spec = spec, Shards = shards, State = DeploymentState.Loading, VocabSize = config.VocabSize,
            ContextLength = config.MaxPositions, EosTokenIds = config.EosTokenIds.ToArray(),
            HasTokenizer = !ModelName.IsShape(model) && File.Exists(Path.Combine(model, "tokenizer.json")),
            Architecture = config.Architecture, HiddenSize = config.HiddenSize, Layers = config.NumLayers,
            KvBlocks = blocks, BlockSize = KvPoolSizing.BlockSize,
        });
        _runahead = spec.Prefill == PrefillAlgorithm.Runahead ? new RunaheadTuner(shards.Length, RunaheadCostModel.FromShape(config)) : null;
        await GrainFactory.GetGrain<IDeploymentDirectoryGrain>(0).AddAsync(Id);
        try
        {
            await LoadShards(spec, shards, blocks);
        }
        catch (Exception e)
        {
            await UnloadShards();
            await Save(Info! with { State = DeploymentState.Failed, Error = e.Message });
            throw;
        }
        await Save(Info! with { State = DeploymentState.Ready });
        await Events().OnNextAsync(new DeploymentEvent(Id, -1, DeploymentEventKind.Ready, 1));
        return Info!;
    }

    /// <summary>Loads every shard; the silos where a load failed as a lost silo would are added to <paramref name="lost"/>.</summary>
    private async Task LoadShards(DeploySpec spec, ShardPlan[] shards, int blocks, ISet<string>? lost = null)
    {
        var loads = shards.Select(s => (s.Silo, Load: GrainFactory.GetGrain<IShardGrain>(s.GrainKey)
            .LoadAsync(new ShardLoadSpec(Id, s.Index, spec.Model, s.Device, spec.DType, s.Slice, Topology(s, shards, spec),
                blocks, KvPoolSizing.BlockSize, spec.Serving, spec.Weights with { MemoryWindow = s.Window },
                spec.Sparsity.IsOff ? null : spec.Sparsity with { Choice = spec.Sparsity.ChoiceFor(spec.Model) })))).ToList();
        try
        {
            await Task.WhenAll(loads.Select(l => l.Load));
        }
        catch (Exception) when (lost is not null)
        {
            foreach (var (silo, load) in loads)
                if (load.Exception?.InnerException is { } e && ShardLoss.Is(e)) lost.Add(silo);
            throw;
        }
    }

    private static ShardTopology Topology(ShardPlan shard, ShardPlan[] all, DeploySpec spec)
    {
        var ranks = all.Where(s => s.Stage == shard.Stage).OrderBy(s => s.Rank).ToArray();
        var stage = ranks.Select(s => s.GrainKey).ToArray();
        var next = all.FirstOrDefault(s => s.Stage == shard.Stage + 1 && s.Rank == 0)?.GrainKey;
        var allReduce = spec.AllReduce != AllReduceAlgorithm.Auto ? spec.AllReduce
            : stage.Length == 2 ? AllReduceAlgorithm.AllToAll : AllReduceAlgorithm.Star;
        return new ShardTopology(shard.Stage, shard.Rank, stage, next, allReduce, all.Max(s => s.Stage) + 1,
            ranks.Select(s => s.Device).ToArray());
    }

    /// <summary>
    /// Every silo can read the model: silos without its folder mirror its small files from one that has it (and will read
    /// their shards' weights from there). Refused in one line when no silo has it.
    /// </summary>
    private async Task Readable(string model, List<SiloInventory> silos)
    {
        if (ModelName.IsShape(model)) return;
        await Task.WhenAll(silos.Select(s => GrainFactory.GetGrain<IModelFilesGrain>(s.Silo).MirrorAsync(model)));
    }

    private async Task<List<SiloInventory>> Inventories()
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var inventories = await Task.WhenAll(hosts.Keys.Select(async s =>
        {
            // A silo that died since the list was made (not yet declared dead) gets no shards.
            try { return await GrainFactory.GetGrain<ISiloInventoryGrain>(s.ToParsableString()).GetAsync(); }
            catch (Exception e)
            {
                LogNoInventory(log, ShardLoss.Is(e) ? LogLevel.Information : LogLevel.Warning, Id, s.ToParsableString(), e.Message.Split('\n')[0]);
                return null;
            }
        }));
        return inventories.OfType<SiloInventory>().OrderBy(i => i.Silo, StringComparer.Ordinal).ToList();
    }

    public async Task UndeployAsync()
    {
        await UnloadShards();
        _runahead = null;
        await _saved.SaveAsync(new DeploymentRecord());
        await GrainFactory.GetGrain<IDeploymentDirectoryGrain>(0).RemoveAsync(Id);
        DeactivateOnIdle();
    }

    private async Task UnloadShards()
    {
        if (Info is null) return;
        // A shard on a dead silo cannot be unloaded; its memory went with the silo.
        await Task.WhenAll(Info.Shards.Select(async s =>
        {
            try { await GrainFactory.GetGrain<IShardGrain>(s.GrainKey).UnloadAsync(); }
            catch (Exception e)
            {
                LogNotUnloaded(log, ShardLoss.Is(e) ? LogLevel.Information : LogLevel.Warning, s.GrainKey, e.Message.Split('\n')[0]);
            }
        }));
    }

    public Task<int[]> RunaheadSizesAsync(int promptLength) => Task.FromResult(Runahead().Sizes(promptLength));

    public Task RecordRunaheadAsync(int[] sizes, double[] busySeconds)
    {
        Runahead().Record(sizes, busySeconds);
        return Task.CompletedTask;
    }

    private RunaheadTuner Runahead()
    {
        if (Info is not { Spec.Prefill: PrefillAlgorithm.Runahead } info) throw new OlmException($"deployment '{Id}' does not prefill with KV-Runahead");
        // After a move to another silo the fit starts again from the shape.
        return _runahead ??= new RunaheadTuner(info.Shards.Length,
            RunaheadCostModel.FromShape(ModelSource.Config(folders.Resolve(info.Spec.Model))));
    }

    private IAsyncStream<DeploymentEvent> Events() =>
        this.GetStreamProvider(StreamNames.Provider).GetStream<DeploymentEvent>(StreamNames.Deployments, Id);

    [LoggerMessage(Message = "deployment {Id}: silo {Silo} gave no inventory, so it gets no shards: {Reason}")]
    private static partial void LogNoInventory(ILogger logger, LogLevel level, string id, string silo, string reason);

    [LoggerMessage(Message = "shard {Key} was not unloaded (on a lost silo, its memory went with it): {Reason}")]
    private static partial void LogNotUnloaded(ILogger logger, LogLevel level, string key, string reason);
}
