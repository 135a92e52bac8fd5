namespace OrleansLlm.Engine.Generation;

/// <summary>
/// What a token stream produces for one request: at most <see cref="MaxNewTokens"/> tokens, stopping after an
/// end-of-sequence id, each drawn with <see cref="Sampling"/> (its seed set) from the sequence's own generator after
/// skipping <see cref="SkipDraws"/> draws (a request resumed elsewhere continues its sequence of draws).
/// </summary>
public sealed record TokenPlan(int MaxNewTokens, IReadOnlySet<int> EosTokenIds, SamplingOptions Sampling, int SkipDraws = 0)
{
    public bool Ends(int token, int produced) => EosTokenIds.Contains(token) || produced >= MaxNewTokens;
}
