namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// How a shard holds its layers now: a window of <see cref="Window"/> of its <see cref="Blocks"/> half-layer blocks (0:
/// all resident), the blocks loaded so far, its loader's time and the compute's time waiting for a block; a static
/// int8 shard's calibration summary (which linears got shadows); the share of heads and neurons a sparse shard's decode
/// skips (0: dense).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.WeightStatus")]
public sealed record WeightStatus(
    [property: Id(0)] int Window,
    [property: Id(1)] int Blocks,
    [property: Id(2)] long Loads,
    [property: Id(3)] double LoadMs,
    [property: Id(4)] double StallMs,
    [property: Id(5)] string Quantization,
    [property: Id(6)] string Shadows = "",
    [property: Id(7)] double Sparsity = 0);
