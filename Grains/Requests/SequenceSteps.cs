using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;
using Partitioner = OrleansLlm.Engine.Sequence.Partitioner;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// A request on a sequence-parallel deployment: the prompt is partitioned (ring blocks, stripes, or KV-Runahead's
/// uneven blocks, which the deployment fits to its shards' measured times), every shard prefills its part while
/// passing KV to the others, and decode steps go to the shard holding the fewest tokens, which keeps the new token's
/// KV and gathers partial attention from the rest.
/// </summary>
internal sealed class SequenceSteps(IGrainFactory grains, DeploymentInfo deployment, Guid request, int maxNewTokens)
    : IRequestSteps
{
    private readonly IShardGrain[] _shards = deployment.Shards.OrderBy(s => s.Rank).Select(s => grains.GetGrain<IShardGrain>(s.GrainKey)).ToArray();
    private readonly long[] _tokens = new long[deployment.Shards.Length];
    private readonly PrefillAlgorithm _algorithm = deployment.Spec.Prefill ?? PrefillAlgorithm.Ring;
    private long _position;

    public StepTimings DecodeTimings => StepTimings.Zero;
    public int DecodeSteps => 0;
    public (double[] BusyMs, int[] Tokens)? PrefillShares =>
        (PrefillResults.Select(r => r.BusyMs).ToArray(), PrefillResults.Select(r => r.Tokens).ToArray());

    public SequencePrefillResult[] PrefillResults { get; private set; } = [];

    private IDeploymentGrain Deployment => grains.GetGrain<IDeploymentGrain>(deployment.Id);

    public async ValueTask<Tensor> PrefillAsync(IReadOnlyList<int> promptIds, CancellationToken cancellation)
    {
        var runahead = _algorithm == PrefillAlgorithm.Runahead ? await Deployment.RunaheadSizesAsync(promptIds.Count) : null;
        var parts = runahead is null
            ? Partitioner.Positions(promptIds.Count, _shards.Length, _algorithm.ToEngine())
            : Partitioner.Contiguous(runahead);
        var last = promptIds.Count - 1;
        PrefillResults = await Task.WhenAll(_shards.Select((shard, i) => shard.SequencePrefillAsync(request,
            new SequencePrefillInput(parts[i].Select(p => promptIds[(int)p]).ToArray(), parts[i],
                parts[i].Length + maxNewTokens + 1, _algorithm, last), cancellation)));
        for (var i = 0; i < _shards.Length; i++) _tokens[i] = parts[i].Length;
        _position = promptIds.Count;
        if (runahead is not null) await Deployment.RecordRunaheadAsync(runahead, PrefillResults.Select(r => r.BusyMs / 1000).ToArray());
        return TensorWire.FromBytes(PrefillResults.First(r => r.Logits is not null).Logits!);
    }

    public async ValueTask<Tensor> DecodeAsync(int tokenId, CancellationToken cancellation)
    {
        var owner = Array.IndexOf(_tokens, _tokens.Min());
        var logits = await _shards[owner].SequenceDecodeAsync(request, tokenId, _position, cancellation);
        _tokens[owner]++;
        _position++;
        return TensorWire.FromBytes(logits);
    }

    public Task ReleaseAsync() => Task.WhenAll(_shards.Select(s => s.ReleaseAsync(request)));
}
