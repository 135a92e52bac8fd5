using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Batching;

/// <summary>
/// A batch layout as the index tensors the kernels read, on the shard's device: positions and KV slots of the new rows,
/// and where each row's keys are. Decode rows gather their keys into [rows, length] (padded with the scratch slot and
/// masked); each chunk gathers its sequence's keys up to its end. A decode-only batch may be padded to a fixed row
/// count and length (CUDA graphs replay fixed shapes): padding rows write and read the scratch block only.
/// </summary>
public sealed class BatchTensors : IDisposable
{
    private BatchTensors() { }

    public required Tensor Positions { get; init; }      // [T] int64
    public required Tensor WriteSlots { get; init; }     // [T] int64
    public required int DecodeRows { get; init; }
    public required Tensor DecodeGather { get; init; }   // [Bd, L] int64
    public required Tensor DecodeMask { get; init; }     // [Bd, 1, 1, L] bool
    /// <summary>[C, 2] on the host: each chunk's first row and length.</summary>
    public required Tensor Chunks { get; init; }
    public required Tensor[] ChunkGathers { get; init; } // each [start + count] int64

    /// <summary>
    /// The same slots, gathers and chunk keys for sliding layers, which keep each sequence's KV in a ring
    /// (<see cref="BatchEntry.Ring"/>): the positions a window left behind map to slots reused since, which their masks
    /// hide. The same tensors as the others' where no entry has a ring.
    /// </summary>
    public required Tensor WriteSlotsLocal { get; init; }
    public required Tensor DecodeGatherLocal { get; init; }
    public required Tensor ChunkKeysLocal { get; init; }
    public required Tensor[] ChunkGathersLocal { get; init; }

    /// <summary>
    /// The chunks for one variable-length attention call (CUDA): all their gathers end to end, the cumulative query and
    /// key counts (int32, [C + 1]; empty when the call is off: OLM_VARLEN=0) and the longest of each.
    /// </summary>
    public required Tensor ChunkKeys { get; init; }
    public required Tensor CuQ { get; init; }
    public required Tensor CuK { get; init; }
    public int MaxQ { get; init; }
    public int MaxK { get; init; }

    /// <summary>
    /// Rows a sparse shard computes sparsely (contextual sparsity): the decode rows and every row of a scored text
    /// (scoring stands for decoding it token by token); prefill chunks of prompts stay dense.
    /// </summary>
    public long[] SparseRows { get; init; } = [];

    /// <summary>How far into the pool the batch's block tables reach (one past the highest block), and its rings.</summary>
    public (int Blocks, int RingBlocks) Reach { get; init; } = (1, 1);

    private static readonly bool Varlen = !OrleansLlm.Switches.OlmSwitches.Varlen.TurnedOff;

    /// <summary>Index tensors of the layout; <paramref name="padRows"/> and <paramref name="padLength"/> (decode-only) fix the shapes.</summary>
    public static BatchTensors Build(BatchLayout layout, Device device, int padRows = 0, int padLength = 0)
    {
        var decodes = layout.Decodes;
        var rows = Math.Max(decodes.Count, padRows);
        // Lengths in steps of 64: fewer distinct shapes for the kernels to plan, and the alignment their masks need.
        var length = RoundUp(Math.Max(Math.Max(1, layout.LongestDecode), padLength), 64);
        if (padRows > 0 && layout.Chunks.Count > 0) throw new ArgumentException("only decode-only batches are padded");
        var positions = new long[rows + layout.Chunks.Sum(c => c.Count)];
        var writes = new long[positions.Length];
        var gather = new long[rows * length];
        var rings = layout.HasRings;
        var (ringBlocks, size) = (layout.RingBlocks, layout.BlockSize);
        var writesLocal = rings ? new long[positions.Length] : writes;
        var gatherLocal = rings ? new long[rows * length] : gather;
        var mask = new bool[rows * length];
        for (var r = 0; r < rows; r++)
        {
            if (r >= decodes.Count) { mask[r * length] = true; continue; } // padding: its own scratch slot, visible
            var e = decodes[r];
            positions[r] = e.Start;
            writes[r] = BlockTable.Slot(e.Blocks, layout.BlockSize, e.Start);
            for (var p = 0; p <= e.Start; p++)
            {
                gather[r * length + p] = BlockTable.Slot(e.Blocks, layout.BlockSize, p);
                mask[r * length + p] = true;
            }
            if (!rings) continue;
            writesLocal[r] = e.LocalSlot(size, ringBlocks, e.Start);
            for (var p = 0; p <= e.Start; p++) gatherLocal[r * length + p] = e.LocalSlot(size, ringBlocks, p);
        }
        var row = rows;
        var cuQ = new int[layout.Chunks.Count + 1];
        var cuK = new int[layout.Chunks.Count + 1];
        for (var c = 0; c < layout.Chunks.Count; c++)
            (cuQ[c + 1], cuK[c + 1]) = (cuQ[c] + layout.Chunks[c].Count, cuK[c] + layout.Chunks[c].Start + layout.Chunks[c].Count);
        // Every chunk's keys (its cached positions and its own), end to end: uploaded once, each chunk's a view of them.
        var keys = new long[cuK[^1]];
        var keysLocal = rings ? new long[cuK[^1]] : keys;
        for (var c = 0; c < layout.Chunks.Count; c++)
        {
            var e = layout.Chunks[c];
            for (var i = 0; i < e.Count; i++, row++)
            {
                positions[row] = e.Start + i;
                writes[row] = BlockTable.Slot(e.Blocks, layout.BlockSize, e.Start + i);
                if (rings) writesLocal[row] = e.LocalSlot(size, ringBlocks, e.Start + i);
            }
            for (var p = 0; p < e.Start + e.Count; p++)
            {
                keys[cuK[c] + p] = BlockTable.Slot(e.Blocks, layout.BlockSize, p);
                if (rings) keysLocal[cuK[c] + p] = e.LocalSlot(size, ringBlocks, p);
            }
        }
        Tensor[] Views(Tensor all) => Enumerable.Range(0, layout.Chunks.Count)
            .Select(c => all.narrow(0, cuK[c], cuK[c + 1] - cuK[c]).DetachFromDisposeScope()).ToArray();
        var chunkKeys = tensor(keys).to(device).DetachFromDisposeScope();
        var chunkGathers = Views(chunkKeys);
        var chunkKeysLocal = rings ? tensor(keysLocal).to(device).DetachFromDisposeScope() : chunkKeys;
        var writeSlots = tensor(writes).to(device).DetachFromDisposeScope();
        var decodeGather = tensor(gather).reshape(rows, length).to(device).DetachFromDisposeScope();
        var spans = new long[2 * layout.Chunks.Count];
        for (int c = 0, first = rows; c < layout.Chunks.Count; first += layout.Chunks[c].Count, c++)
            (spans[2 * c], spans[2 * c + 1]) = (first, layout.Chunks[c].Count);
        return new BatchTensors
        {
            Positions = tensor(positions).to(device).DetachFromDisposeScope(),
            WriteSlots = writeSlots,
            DecodeRows = decodes.Count == 0 ? 0 : rows,
            DecodeGather = decodeGather,
            WriteSlotsLocal = rings ? tensor(writesLocal).to(device).DetachFromDisposeScope() : writeSlots,
            DecodeGatherLocal = rings ? tensor(gatherLocal).reshape(rows, length).to(device).DetachFromDisposeScope() : decodeGather,
            ChunkKeysLocal = chunkKeysLocal,
            ChunkGathersLocal = rings ? Views(chunkKeysLocal) : chunkGathers,
            DecodeMask = tensor(mask).reshape(rows, 1, 1, length).to(device).DetachFromDisposeScope(),
            Chunks = tensor(spans).reshape(layout.Chunks.Count, 2).DetachFromDisposeScope(),
            ChunkGathers = chunkGathers,
            ChunkKeys = chunkKeys,
            CuQ = (Varlen && layout.Chunks.Count > 0 ? tensor(cuQ) : zeros(0, ScalarType.Int32)).to(device).DetachFromDisposeScope(),
            CuK = tensor(cuK).to(device).DetachFromDisposeScope(),
            MaxQ = layout.Chunks.Count == 0 ? 0 : layout.Chunks.Max(c => c.Count),
            MaxK = layout.Chunks.Count == 0 ? 0 : layout.Chunks.Max(c => c.Start + c.Count),
            SparseRows = SparseRowsOf(layout, rows),
            Reach = ReachOf(layout),
        };
    }

    private static (int, int) ReachOf(BatchLayout layout)
    {
        int blocks = 1, ring = 1;
        foreach (var e in layout.Entries)
        {
            foreach (var b in e.Blocks) blocks = Math.Max(blocks, b + 1);
            if (e.Ring is { } r) foreach (var b in r) ring = Math.Max(ring, b + 1);
        }
        return (blocks, ring);
    }

    private static long[] SparseRowsOf(BatchLayout layout, int decodeRows)
    {
        var rows = Enumerable.Range(0, layout.Decodes.Count > 0 ? decodeRows : 0).Select(r => (long)r).ToList();
        for (int c = 0, first = decodeRows; c < layout.Chunks.Count; first += layout.Chunks[c].Count, c++)
            if (layout.Chunks[c].Output == BatchOutput.Score)
                rows.AddRange(Enumerable.Range(first, layout.Chunks[c].Count).Select(r => (long)r));
        return [.. rows];
    }

    private static int RoundUp(int n, int step) => (n + step - 1) / step * step;

    /// <summary>
    /// Index tensors over given device tensors (a CUDA graph's static inputs) for a decode-only batch; the sliding layers'
    /// slots and gathers (the same tensors where no sequence has a ring).
    /// </summary>
    internal static BatchTensors Decode(Tensor positions, Tensor writeSlots, Tensor gather, Tensor mask, Tensor writeSlotsLocal,
        Tensor gatherLocal) => new()
    {
        Positions = positions, WriteSlots = writeSlots, DecodeRows = (int)gather.shape[0], DecodeGather = gather,
        WriteSlotsLocal = writeSlotsLocal, DecodeGatherLocal = gatherLocal, ChunkGathersLocal = [],
        DecodeMask = mask, Chunks = zeros([0, 2], ScalarType.Int64).DetachFromDisposeScope(), ChunkGathers = [],
        ChunkKeys = zeros(0, ScalarType.Int64, positions.device).DetachFromDisposeScope(),
        ChunkKeysLocal = zeros(0, ScalarType.Int64, positions.device).DetachFromDisposeScope(),
        CuQ = zeros(0, ScalarType.Int32, positions.device).DetachFromDisposeScope(),
        CuK = zeros(0, ScalarType.Int32, positions.device).DetachFromDisposeScope(),
        SparseRows = Enumerable.Range(0, (int)gather.shape[0]).Select(r => (long)r).ToArray(),
    };

    public void Dispose()
    {
        // The sliding layers' tensors are the others' where no sequence has a ring: each disposed once.
        foreach (var t in new[] { Positions, WriteSlots, DecodeGather, DecodeMask, Chunks, ChunkKeys, CuQ, CuK, WriteSlotsLocal, DecodeGatherLocal, ChunkKeysLocal }
                     .Concat(ChunkGathers).Concat(ChunkGathersLocal).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            t.Dispose();
    }
}
