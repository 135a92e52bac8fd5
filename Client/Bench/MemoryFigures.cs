namespace OrleansLlm.Client.Bench;

/// <summary>
/// How a benchmarked deployment held its weights and what memory it took: per shard its window (0: resident) and
/// planned weight bytes, per silo process its peak resident memory over the configuration, and for weight windows the
/// loader's time, the compute's time waiting for blocks (both per forward step), and the share of loading hidden.
/// </summary>
internal sealed record MemoryFigures
{
    public required string Quantization { get; init; }
    public required int[] Window { get; init; }
    public required int[] Blocks { get; init; }
    public required double[] WeightMib { get; init; }
    /// <summary>Each silo process's peak resident memory (an embedded cluster's silos share one process).</summary>
    public required double[] PeakRssMib { get; init; }
    public double Steps { get; init; }
    public double LoadMsPerStep { get; init; }
    public double StallMsPerStep { get; init; }
    /// <summary>1 − stall / load: the part of the loading that ran while the compute had work (the largest shard's).</summary>
    public double Hidden { get; init; }
}
