namespace OrleansLlm.Engine.Serving;

/// <summary>How a deployment's batches are formed (continuous batching with chunked prefill, as in Sarathi and vLLM).</summary>
public sealed record SchedulerOptions
{
    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>A prompt is prefilled at most this many tokens a batch, sharing the batch with other requests' decode steps.</summary>
    public int PrefillChunk { get; init; } = 512;

    /// <summary>
    /// The prefill chunk where none is asked for: 512 on a GPU; 256 on a CPU, where a chunk's activations count against
    /// the little memory beside the weights (llama-1b's 4K-token prompt peaked 160 MiB higher at 512) and a smaller
    /// chunk prefilled no slower on the 2-core machine (docs/BENCHMARKS.md, "CPU memory").
    /// </summary>
    public static int DefaultPrefillChunk(string device) => device.StartsWith("cpu", StringComparison.Ordinal) ? 256 : 512;

    /// <summary>Rows (new tokens) in one batch at most: the decode steps plus prefill chunks.</summary>
    public int MaxBatchTokens { get; init; } = 1024;

    /// <summary>Sequences running (holding KV blocks) at once at most.</summary>
    public int MaxRunning { get; init; } = 256;

    /// <summary>Requests waiting to start at most; past it a new request is refused as busy.</summary>
    public int MaxWaiting { get; init; } = 1024;

    /// <summary>
    /// The model's widest sliding window (0: no layer slides). Sliding layers then keep each sequence's KV in a ring of
    /// <see cref="RingBlocks"/> blocks of their own pool, reused as the window moves, rather than one block per
    /// <see cref="BlockSize"/> tokens of the whole sequence.
    /// </summary>
    public int Window { get; init; }

    /// <summary>
    /// Blocks of a sequence's ring: every position a step's rows may read or write, the window behind a chunk's first
    /// row to its last (W + C − 1 positions), lies in distinct blocks. 0 without a window.
    /// </summary>
    public int RingBlocks => Window == 0 ? 0 : (Window + PrefillChunk - 2 + BlockSize - 1) / BlockSize + 1;

    /// <summary>
    /// Blocks of the sliding layers' pool beside a pool of <paramref name="poolBlocks"/> (its scratch block included):
    /// a ring for every running sequence, never more than the pool itself (a sequence's ring holds at most its blocks).
    /// </summary>
    public int LocalPoolBlocks(int poolBlocks) =>
        RingBlocks == 0 ? poolBlocks : (int)Math.Min(poolBlocks, (long)MaxRunning * RingBlocks + 1);

    public void Validate()
    {
        if (BlockSize < 1) throw new ArgumentException($"block size must be at least 1, got {BlockSize}");
        if (PrefillChunk < 1) throw new ArgumentException($"--prefill-chunk must be at least 1, got {PrefillChunk}");
        if (MaxBatchTokens < 1) throw new ArgumentException($"--max-batch-tokens must be at least 1, got {MaxBatchTokens}");
        if (MaxRunning < 1) throw new ArgumentException($"--max-running must be at least 1, got {MaxRunning}");
        if (MaxWaiting < 0) throw new ArgumentException($"--max-waiting must be 0 or more, got {MaxWaiting}");
        if (Window < 0) throw new ArgumentException($"a sliding window must be 0 or more, got {Window}");
    }
}
