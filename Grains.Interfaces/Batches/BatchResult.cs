namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// What a batch gave back from the last stage: per item the next token (−1 where none was wanted) and the summed
/// −log p of its targets; the stages' figures. A tensor-parallel peer of the last stage answers with its share of the
/// output head instead: logits of its vocabulary rows for Next items, and per scored row the log-sum-exp over its rows
/// and the target's logit (−inf when the target is another rank's).
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.BatchResult")]
public sealed record BatchResult(
    [property: Id(0)] int[] Tokens,
    [property: Id(1)] double[] Nll,
    [property: Id(2)] StepTimings Timings,
    [property: Id(3)] TensorBytes? HeadLogits = null,
    [property: Id(4)] TensorBytes? HeadScores = null);
