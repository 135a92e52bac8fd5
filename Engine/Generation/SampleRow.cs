namespace OrleansLlm.Engine.Generation;

/// <summary>
/// How to draw one sequence's next token from its logits row: the options, the uniform draw in [0, 1) to invert the
/// distribution with (made by the sequence's own seeded generator, so the token does not depend on which batch the row
/// was in), and the tokens so far for the repetition penalty (null or empty when it is off).
/// </summary>
public sealed record SampleRow(SamplingOptions Options, double Draw, IReadOnlyList<int>? History = null);
