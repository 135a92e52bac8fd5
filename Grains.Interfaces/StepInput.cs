namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A step's input: token ids (first stage) or hidden states (later stages); a capacity above 0 starts the request.
/// With targets, the last stage scores them (sum of −log p(target)) instead of returning logits.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.StepInput")]
public sealed record StepInput(
    [property: Id(0)] int[]? Ids,
    [property: Id(1)] TensorBytes? Hidden,
    [property: Id(2)] int Capacity = 0,
    [property: Id(3)] int[]? Targets = null);
