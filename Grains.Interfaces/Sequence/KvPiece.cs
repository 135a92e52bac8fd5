namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// Tokens [Start, Start + count) of a KV block: keys and values [KV, count, D] and positions, with their run on the host
/// (first position and stride; stride 0 when the positions follow no single step).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.KvPiece")]
public sealed record KvPiece(
    [property: Id(0)] int Index,
    [property: Id(1)] int Pieces,
    [property: Id(2)] TensorBytes Keys,
    [property: Id(3)] TensorBytes Values,
    [property: Id(4)] TensorBytes Positions,
    [property: Id(5)] long First,
    [property: Id(6)] long Stride);
