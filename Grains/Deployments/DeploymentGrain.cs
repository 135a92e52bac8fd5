using Orleans.Runtime;
using Orleans.Streams;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// A deployed model: plans it over the silos' devices, has the shards load, and keeps the plan for request grains.
/// </summary>
[OldestSiloPlacement, CollectionAgeLimit(AlwaysActive = true)]
public sealed class DeploymentGrain(Weights.ModelFolders folders) : Grain, IDeploymentGrain
{
    private DeploymentInfo? _info;
    private Task<DeploymentInfo>? _deploying;
    private RunaheadTuner? _runahead;

    private string Id => this.GetPrimaryKeyString();

    public Task<DeploymentInfo?> GetAsync() => Task.FromResult(_info);

    public async Task<DeploymentInfo> DeployAsync(DeploySpec spec)
    {
        if (_info is { State: DeploymentState.Ready or DeploymentState.Loading } existing)
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
        _info = new DeploymentInfo
        {
            Id = Id, Spec = spec, Shards = shards, State = DeploymentState.Loading, VocabSize = config.VocabSize,
            ContextLength = config.MaxPositions, EosTokenIds = config.EosTokenIds.ToArray(),
            HasTokenizer = !ModelName.IsShape(model) && File.Exists(Path.Combine(model, "tokenizer.json")),
            Architecture = config.Architecture, HiddenSize = config.HiddenSize, Layers = config.NumLayers,
            KvBlocks = blocks, BlockSize = KvPoolSizing.BlockSize,
        };
        _runahead = spec.Prefill == PrefillAlgorithm.Runahead ? new RunaheadTuner(shards.Length, RunaheadCostModel.FromShape(config)) : null;
        await GrainFactory.GetGrain<IDeploymentDirectoryGrain>(0).AddAsync(Id);
        try
        {
            await Task.WhenAll(shards.Select(s => GrainFactory.GetGrain<IShardGrain>(s.GrainKey)
                .LoadAsync(new ShardLoadSpec(Id, s.Index, spec.Model, s.Device, spec.DType, s.Slice, Topology(s, shards, spec),
                    blocks, KvPoolSizing.BlockSize, spec.Serving, spec.Weights with { MemoryWindow = s.Window }))));
        }
        catch (Exception e)
        {
            await UnloadShards();
            _info = _info with { State = DeploymentState.Failed, Error = e.Message };
            throw;
        }
        _info = _info with { State = DeploymentState.Ready };
        await Events().OnNextAsync(new DeploymentEvent(Id, -1, DeploymentEventKind.Ready, 1));
        return _info;
    }

    private static ShardTopology Topology(ShardPlan shard, ShardPlan[] all, DeploySpec spec)
    {
        var stage = all.Where(s => s.Stage == shard.Stage).OrderBy(s => s.Rank).Select(s => s.GrainKey).ToArray();
        var next = all.FirstOrDefault(s => s.Stage == shard.Stage + 1 && s.Rank == 0)?.GrainKey;
        var allReduce = spec.AllReduce != AllReduceAlgorithm.Auto ? spec.AllReduce
            : stage.Length == 2 ? AllReduceAlgorithm.AllToAll : AllReduceAlgorithm.Star;
        return new ShardTopology(shard.Stage, shard.Rank, stage, next, allReduce, all.Max(s => s.Stage) + 1);
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
        var inventories = await Task.WhenAll(hosts.Keys.Select(s =>
            GrainFactory.GetGrain<ISiloInventoryGrain>(s.ToParsableString()).GetAsync()));
        return inventories.OrderBy(i => i.Silo, StringComparer.Ordinal).ToList();
    }

    public async Task UndeployAsync()
    {
        await UnloadShards();
        (_info, _runahead) = (null, null);
        await GrainFactory.GetGrain<IDeploymentDirectoryGrain>(0).RemoveAsync(Id);
        DeactivateOnIdle();
    }

    private async Task UnloadShards()
    {
        if (_info is null) return;
        // A shard on a dead silo cannot be unloaded; its memory went with the silo.
        await Task.WhenAll(_info.Shards.Select(async s =>
        {
            try { await GrainFactory.GetGrain<IShardGrain>(s.GrainKey).UnloadAsync(); }
            catch (Exception) { }
        }));
    }

    public async Task SiloDiedAsync(string silo)
    {
        if (_info is null || _info.State == DeploymentState.Failed) return;
        var lost = _info.Shards.Where(s => s.Silo == silo).ToList();
        if (lost.Count == 0) return;
        _info = _info with { State = DeploymentState.Failed, Error = $"silo {silo} died with shard(s) {string.Join(", ", lost.Select(s => s.Index))}" };
        foreach (var s in lost)
            await Events().OnNextAsync(new DeploymentEvent(Id, s.Index, DeploymentEventKind.Failed, 0, _info.Error));
    }

    public Task<int[]> RunaheadSizesAsync(int promptLength) => Task.FromResult(Runahead().Sizes(promptLength));

    public Task RecordRunaheadAsync(int[] sizes, double[] busySeconds)
    {
        Runahead().Record(sizes, busySeconds);
        return Task.CompletedTask;
    }

    private RunaheadTuner Runahead() =>
        _runahead ?? throw new OlmException($"deployment '{Id}' does not prefill with KV-Runahead");

    private IAsyncStream<DeploymentEvent> Events() =>
        this.GetStreamProvider(StreamNames.Provider).GetStream<DeploymentEvent>(StreamNames.Deployments, Id);
}
