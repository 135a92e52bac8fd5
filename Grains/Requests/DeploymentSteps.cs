using OrleansLlm.Engine.Generation;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// The engine's forward pass for one request as steps through a deployment: each step enters at the first stage's
/// master and flows shard to shard. Prompts cross multi-shard deployments in chunks small enough that hidden states and
/// partial sums stay under the message cap (chunked prefill). Decode steps' timings are summed for the request's stats.
/// </summary>
internal sealed class DeploymentSteps(IGrainFactory grains, DeploymentInfo deployment, Guid request, int capacity)
    : IRequestSteps
{
    private readonly IShardGrain _entry = grains.GetGrain<IShardGrain>(deployment.Entry.GrainKey);

    public StepTimings DecodeTimings { get; private set; } = StepTimings.Zero;
    public int DecodeSteps { get; private set; }
    public (double[] BusyMs, int[] Tokens)? PrefillShares => null;

    /// <summary>Tokens per prefill step: all at once on one shard, else as many as keep an fp32 activation under the cap.</summary>
    private int ChunkTokens => deployment.Shards.Length == 1
        ? int.MaxValue
        : Math.Max(1, TensorBytes.MaxMessageBytes / (deployment.HiddenSize * 4));

    public async ValueTask<Tensor> PrefillAsync(IReadOnlyList<int> promptIds, CancellationToken cancellation)
    {
        StepResult? last = null;
        foreach (var (chunk, first) in Chunks(promptIds))
            last = await _entry.StepAsync(request, new StepInput(chunk, null, first ? capacity : 0), cancellation);
        return TensorWire.FromBytes(last!.Output);
    }

    public async ValueTask<Tensor> DecodeAsync(int tokenId, CancellationToken cancellation)
    {
        var result = await _entry.StepAsync(request, new StepInput([tokenId], null), cancellation);
        DecodeTimings = DecodeTimings.Add(result.Timings);
        DecodeSteps++;
        return TensorWire.FromBytes(result.Output);
    }

    /// <summary>Sum of −log p(ids[i+1] | ids[..i]) over the sequence.</summary>
    public async Task<double> NegativeLogLikelihoodAsync(int[] ids, CancellationToken cancellation)
    {
        double total = 0;
        var offset = 0;
        foreach (var (chunk, first) in Chunks(ids))
        {
            var targets = ids.Skip(offset + 1).Take(chunk.Length).ToArray();
            offset += chunk.Length;
            var result = await _entry.StepAsync(request, new StepInput(chunk, null, first ? capacity : 0, targets), cancellation);
            using var nll = TensorWire.FromBytes(result.Output);
            total += nll.item<double>();
        }
        return total;
    }

    private IEnumerable<(int[] Chunk, bool First)> Chunks(IReadOnlyList<int> ids)
    {
        var size = ChunkTokens;
        for (var start = 0; start < ids.Count; start += size)
            yield return (ids.Skip(start).Take(size).ToArray(), start == 0);
    }

    /// <summary>Frees the request's KV cache on every shard; safe after a failure and when called twice.</summary>
    public Task ReleaseAsync() =>
        Task.WhenAll(deployment.Shards.Select(s => grains.GetGrain<IShardGrain>(s.GrainKey).ReleaseAsync(request)));
}
