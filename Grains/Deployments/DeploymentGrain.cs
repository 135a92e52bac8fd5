using Orleans.Runtime;
using Orleans.Streams;
using OrleansLlm.Engine.Config;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Hosting;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Deployments;

/// <summary>
/// A deployed model: plans it over the silos' devices, has the shards load, and keeps the plan for request grains.
/// </summary>
[OldestSiloPlacement, CollectionAgeLimit(AlwaysActive = true)]
public sealed class DeploymentGrain(OlmSiloOptions options) : Grain, IDeploymentGrain
{
    private DeploymentInfo? _info;
    private Task<DeploymentInfo>? _deploying;

    private string Id => this.GetPrimaryKeyString();

    public Task<DeploymentInfo?> GetAsync() => Task.FromResult(_info);

    public async Task<DeploymentInfo> DeployAsync(DeploySpec spec)
    {
        if (_info is { State: "ready" or "loading" } existing)
            return existing.Spec.SameAs(spec) ? await (_deploying ?? Task.FromResult(existing))
                : throw new OlmException($"deployment '{Id}' already holds another model or plan; undeploy it first");
        _deploying = EngineErrors.Translate(() => Deploy(spec));
        return await _deploying;
    }

    private async Task<DeploymentInfo> Deploy(DeploySpec spec)
    {
        var model = options.ResolveModel(spec.Model);
        var config = ModelSource.Config(model);
        var silos = await Inventories();
        var shards = Planner.Plan(Id, spec, config, silos);
        _info = new DeploymentInfo
        {
            Id = Id, Spec = spec, Shards = shards, State = "loading", VocabSize = config.VocabSize,
            ContextLength = config.MaxPositions, EosTokenIds = config.EosTokenIds.ToArray(),
            HasTokenizer = !ModelShapes.IsShape(model) && File.Exists(Path.Combine(model, "tokenizer.json")),
            Architecture = config.Architecture, HiddenSize = config.HiddenSize,
        };
        await GrainFactory.GetGrain<IDeploymentDirectoryGrain>(0).AddAsync(Id);
        try
        {
            await Task.WhenAll(shards.Select(s => GrainFactory.GetGrain<IShardGrain>(s.GrainKey)
                .LoadAsync(new ShardLoadSpec(Id, s.Index, spec.Model, s.Device, spec.DType, s.Slice, Topology(s, shards, spec)))));
        }
        catch (Exception e)
        {
            await UnloadShards();
            _info = _info with { State = "failed", Error = e.Message };
            throw;
        }
        _info = _info with { State = "ready" };
        await Events().OnNextAsync(new DeploymentEvent(Id, -1, DeploymentEventKind.Ready, 1));
        return _info;
    }

    private static ShardTopology Topology(ShardPlan shard, ShardPlan[] all, DeploySpec spec)
    {
        var stage = all.Where(s => s.Stage == shard.Stage).OrderBy(s => s.Rank).Select(s => s.GrainKey).ToArray();
        var next = all.FirstOrDefault(s => s.Stage == shard.Stage + 1 && s.Rank == 0)?.GrainKey;
        var allReduce = spec.AllReduce == "auto" ? stage.Length == 2 ? "all-to-all" : "star" : spec.AllReduce;
        return new ShardTopology(shard.Stage, shard.Rank, stage, next, allReduce);
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
        _info = null;
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
        if (_info is null || _info.State == "failed") return;
        var lost = _info.Shards.Where(s => s.Silo == silo).ToList();
        if (lost.Count == 0) return;
        _info = _info with { State = "failed", Error = $"silo {silo} died with shard(s) {string.Join(", ", lost.Select(s => s.Index))}" };
        foreach (var s in lost)
            await Events().OnNextAsync(new DeploymentEvent(Id, s.Index, DeploymentEventKind.Failed, 0, _info.Error));
    }

    private IAsyncStream<DeploymentEvent> Events() =>
        this.GetStreamProvider(StreamNames.Provider).GetStream<DeploymentEvent>(StreamNames.Deployments, Id);
}
