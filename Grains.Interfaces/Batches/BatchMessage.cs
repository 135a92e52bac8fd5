namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A batch as it travels from a stage's master to its tensor-parallel peers and to the next stage: its items in row
/// order (decode steps first, then prefill chunks), and its input: the rows' token ids for the first stage, the hidden
/// states [rows, hidden] for later ones.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.BatchMessage")]
public sealed record BatchMessage(
    [property: Id(0)] long Batch,
    [property: Id(1)] BatchItem[] Items,
    [property: Id(2)] int[]? Ids,
    [property: Id(3)] TensorBytes? Hidden,
    [property: Id(4)] int RingBlocks = 0);
