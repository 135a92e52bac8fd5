namespace OrleansLlm.Engine.Sequence;

/// <summary>
/// Time of a KV-Runahead shard that computes n tokens after c earlier ones: per-token work (projections, MLP) α·n, causal
/// attention β·n·(c + n/2), and receiving and forwarding the prefix's KV γ·c. Coefficients are fitted to measured shard times
/// (<see cref="Fit"/>) or estimated from the model's shape until measurements exist.
/// </summary>
public sealed record RunaheadCostModel(double Alpha, double Beta, double Gamma)
{
    public double Time(long n, long c) => n == 0 ? 0 : Alpha * n + Beta * n * (c + n / 2.0) + Gamma * c;

    /// <summary>From FLOPs: 2 per weight per token for α, 4·heads·head_dim per query-key pair for β.</summary>
    public static RunaheadCostModel FromShape(Config.ModelConfig c)
    {
        double layerWeights = (double)c.HiddenSize * c.HeadDim * (c.NumHeads * 2 + c.NumKvHeads * 2) + 3.0 * c.HiddenSize * c.IntermediateSize;
        return new RunaheadCostModel(2 * layerWeights, 4.0 * c.NumHeads * c.HeadDim, 2.0 * c.NumKvHeads * c.HeadDim);
    }

    /// <summary>
    /// Fits α and β by least squares to measured shard times: (tokens computed, tokens before them, seconds busy).
    /// </summary>
    public static RunaheadCostModel Fit(IReadOnlyList<(long Tokens, long Before, double Seconds)> samples, double gamma = 0)
    {
        // t = α·x1 + β·x2 with x1 = n, x2 = n·(c + n/2): the normal equations of a two-parameter linear fit.
        double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
        foreach (var (n, c, t) in samples)
        {
            double x1 = n, x2 = n * (c + n / 2.0);
            (s11, s12, s22, b1, b2) = (s11 + x1 * x1, s12 + x1 * x2, s22 + x2 * x2, b1 + x1 * t, b2 + x2 * t);
        }
        var det = s11 * s22 - s12 * s12;
        if (Math.Abs(det) < 1e-30) throw new ArgumentException("cost samples do not determine the model (need varied sizes)");
        var alpha = (b1 * s22 - b2 * s12) / det;
        var beta = (s11 * b2 - s12 * b1) / det;
        if (!double.IsFinite(alpha) || !double.IsFinite(beta)) throw new ArgumentException("cost samples give no finite model");
        return new RunaheadCostModel(Math.Max(alpha, 1e-12), Math.Max(beta, 1e-15), gamma);
    }
}
