using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Sequence;
using OrleansLlm.Grains.Compute;
using static TorchSharp.torch;

namespace OrleansLlm.Grains.Shards;

/// <summary>Sequence-parallel prefill and distributed-KV decode (the algorithms are the engine's; this is the wiring).</summary>
public sealed partial class ShardGrain
{
    private readonly KvMailbox _mailbox = new();

    public async Task<SequencePrefillResult> SequencePrefillAsync(Guid request, SequencePrefillInput input, CancellationToken cancellation)
    {
        var (model, executor, topology) = Loaded();
        return await ForRequest(request, async () =>
        {
            var state = await Admit(request, input.Capacity);
            var exchange = new GrainKvExchange(GrainFactory, request, topology.StageShards, silo.SiloAddress.ToParsableString(), executor,
                _mailbox, model.Device, options.KvPieceBytes);
            var prefill = new SequencePrefill(model, state.Cache, topology.Rank, topology.StageShards.Length, exchange,
                new ExecutorRunner(executor));
            var x = await prefill.RunAsync(input.Ids.Select(i => (long)i).ToArray(), input.Positions,
                input.Algorithm.ToEngine());
            var holdsLast = input.Positions.Length > 0 && input.Positions[^1] == input.LastPosition;
            var token = await executor.RunAsync(() =>
            {
                using (x) return holdsLast ? Draw(model, x.narrow(0, x.shape[0] - 1, 1), input.Sample) : -1;
            }, cancellation);
            return new SequencePrefillResult(token, prefill.Busy.TotalMilliseconds, input.Ids.Length, exchange.Messages, exchange.Bytes);
        });
    }

    public Task ReceiveKvAsync(Guid request, int layer, int step, KvPiece piece)
    {
        _mailbox.Add(request, layer, step, piece);
        return Task.CompletedTask;
    }

    public async Task<int> SequenceDecodeAsync(Guid request, int tokenId, long position, TokenDraw sample, CancellationToken cancellation)
    {
        var (model, executor, topology) = Loaded();
        return await ForRequest(request, async () =>
        {
            var state = await Admit(request, 0);
            var others = topology.StageShards.Where((_, i) => i != topology.Rank)
                .Select(k => GrainFactory.GetGrain<IShardGrain>(k)).ToList();
            var logits = await SequenceDecode.StepAsync(model, state.Cache, tokenId, position, async (layer, q) =>
            {
                var query = await executor.RunAsync(() => TensorWire.ToBytes(q));
                var answers = await Task.WhenAll(others.Select(o => o.AttendAsync(request, layer, query)));
                return await executor.RunAsync(() => (IReadOnlyList<PartialAttention>)answers
                    .Select(a => new PartialAttention(TensorWire.FromBytes(a[0], model.Device), TensorWire.FromBytes(a[1], model.Device)))
                    .ToList());
            }, new ExecutorRunner(executor));
            return await executor.RunAsync(() => { using (logits) return Draw(logits, sample); });
        });
    }

    /// <summary>The next token from the last position's hidden state (or logits) [1, ·], drawn on this device.</summary>
    private static int Draw(ShardModel model, Tensor last, TokenDraw sample)
    {
        using var logits = model.Logits(last);
        return Engine.Generation.TokenSampler.Sample(logits, [sample.ToEngine()])[0];
    }

    /// <summary>The next token from logits [V].</summary>
    private static int Draw(Tensor logits, TokenDraw sample)
    {
        using var row = logits.unsqueeze(0);
        return Engine.Generation.TokenSampler.Sample(row, [sample.ToEngine()])[0];
    }

    public async Task<TensorBytes[]> AttendAsync(Guid request, int layer, TensorBytes query)
    {
        var (model, executor, _) = Loaded();
        var state = await Admit(request, 0);
        return await executor.RunAsync(() =>
        {
            using var scope = NewDisposeScope();
            var q = TensorWire.FromBytes(query, model.Device);
            using var part = SequenceDecode.Attend(state.Cache[layer], q);
            return new[] { TensorWire.ToBytes(part.Output), TensorWire.ToBytes(part.Lse) };
        });
    }
}
