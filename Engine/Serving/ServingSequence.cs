using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Paged;

namespace OrleansLlm.Engine.Serving;

/// <summary>
/// A request as the scheduler sees it: every token known so far (prompt, then each token fed back), how many of them
/// have their KV in the pool, its blocks, and what it waits for. A preempted sequence loses its blocks and computes
/// its tokens again when it is readmitted.
/// </summary>
public sealed class ServingSequence(Guid id, IEnumerable<int> tokens, BatchOutput want, int blockSize, long arrival)
{
    public Guid Id { get; } = id;
    public List<int> Tokens { get; } = [.. tokens];
    public BlockTable Blocks { get; } = new(blockSize);

    /// <summary>Its sliding layers' ring (as many blocks as it holds, up to the ring's size; empty without one).</summary>
    public BlockTable Ring { get; } = new(blockSize);
    public BatchOutput Want { get; set; } = want;
    public long Arrival { get; } = arrival;

    /// <summary>Tokens whose KV is in the pool.</summary>
    public int Computed { get; set; }

    /// <summary>In a batch that has not completed: not schedulable, not preemptible.</summary>
    public bool InFlight { get; set; }

    /// <summary>Released while in flight: its blocks go back when the batch completes.</summary>
    public bool Removed { get; set; }

    public int Preemptions { get; set; }

    /// <summary>Holds blocks (admitted), as opposed to waiting for its first or a renewed admission.</summary>
    public bool Admitted => Blocks.Blocks.Count > 0;

    /// <summary>Tokens still to compute before its output can be made.</summary>
    public int Pending => Tokens.Count - Computed;
}
