using OrleansLlm.Engine.Parallel;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>
/// In-process all-reduce between N ranks running as concurrent tasks: each operation waits for every rank's partial,
/// then each gets the sum in rank order, in float32, as the grain all-reduce sums and returns it.
/// </summary>
public sealed class FakeAllReduce(int ranks)
{
    private readonly Dictionary<int, (Tensor?[] Partials, TaskCompletionSource<Tensor> Total)> _ops = new();
    private readonly Lock _lock = new();

    public int Operations { get; private set; }

    public IAllReduce For(int rank) => new Rank(this, rank);

    private Task<Tensor> Add(int op, int rank, Tensor partial)
    {
        lock (_lock)
        {
            if (!_ops.TryGetValue(op, out var slot))
                _ops[op] = slot = (new Tensor?[ranks], new TaskCompletionSource<Tensor>(TaskCreationOptions.RunContinuationsAsynchronously));
            slot.Partials[rank] = partial;
            if (slot.Partials.All(p => p is not null))
            {
                var total = slot.Partials.Select(p => p!.to(ScalarType.Float32)).Aggregate((a, b) => a.add(b));
                foreach (var p in slot.Partials) p!.Dispose();
                Operations++;
                slot.Total.SetResult(total.DetachFromDisposeScope());
            }
            return slot.Total.Task;
        }
    }

    private sealed class Rank(FakeAllReduce group, int rank) : IAllReduce
    {
        private int _op;
        public async Task<Tensor> SumAsync(Tensor partial) => (await group.Add(_op++, rank, partial)).alias();
    }
}
