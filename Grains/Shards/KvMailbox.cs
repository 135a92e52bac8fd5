namespace OrleansLlm.Grains.Shards;

/// <summary>
/// KV blocks arriving at a shard, by request, layer and step, assembled from their pieces. A block may arrive before
/// the shard asks for it; a released request fails whatever still waits.
/// </summary>
internal sealed class KvMailbox
{
    private readonly Dictionary<(Guid, int, int), Slot> _slots = new();

    private sealed class Slot
    {
        public KvPiece[]? Pieces;
        public int Count;
        public readonly TaskCompletionSource<KvPiece[]> Complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private Slot SlotOf(Guid request, int layer, int step)
    {
        if (!_slots.TryGetValue((request, layer, step), out var slot)) _slots[(request, layer, step)] = slot = new Slot();
        return slot;
    }

    public void Add(Guid request, int layer, int step, KvPiece piece)
    {
        var slot = SlotOf(request, layer, step);
        slot.Pieces ??= new KvPiece[piece.Pieces];
        if (piece.Index >= slot.Pieces.Length || slot.Pieces[piece.Index] is not null)
            throw new OlmException($"unexpected KV piece {piece.Index}/{piece.Pieces} for layer {layer} step {step}");
        slot.Pieces[piece.Index] = piece;
        if (++slot.Count == slot.Pieces.Length) slot.Complete.TrySetResult(slot.Pieces);
    }

    public async Task<KvPiece[]> Take(Guid request, int layer, int step)
    {
        var pieces = await SlotOf(request, layer, step).Complete.Task;
        _slots.Remove((request, layer, step));
        return pieces;
    }

    public void Drop(Guid request)
    {
        foreach (var key in _slots.Keys.Where(k => k.Item1 == request).ToList())
        {
            _slots.Remove(key, out var slot);
            slot!.Complete.TrySetException(new OlmException($"request {request} was released"));
        }
    }
}
