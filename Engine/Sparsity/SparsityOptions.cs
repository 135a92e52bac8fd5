namespace OrleansLlm.Engine.Sparsity;

/// <summary>How a sparse shard chooses each decode token's heads and FFN neurons.</summary>
public enum SparsityMode
{
    /// <summary>Deja Vu: low-rank predictors trained on the dense model's activations (olm sparsify), one layer ahead.</summary>
    Learned,
    /// <summary>Training-free (CATS for the MLP, TEAL-style): magnitude thresholds calibrated for the sparsity.</summary>
    Threshold,
    /// <summary>The control: as many neurons and heads as the others take, drawn uniformly per token.</summary>
    Random,
    /// <summary>The first k of a fixed permutation a layer: a selection of the right size, for speed on random weights.</summary>
    Fixed,
}

/// <summary>
/// Contextual sparsity at decode: the share <see cref="Sparsity"/> of each layer's query heads and FFN neurons a decode
/// token skips (prefill stays dense). Learned and threshold modes need the model's <see cref="SparsityFile"/>.
/// </summary>
public sealed record SparsityOptions
{
    /// <summary>The share skipped; with <see cref="Recall"/>, replaced at load by the share that recall target gives.</summary>
    public required double Sparsity { get; init; }
    /// <summary>A recall target instead of a share (learned mode): see <see cref="SparsityHeader.SparsityFor"/>.</summary>
    public double? Recall { get; init; }
    public SparsityMode Mode { get; init; } = SparsityMode.Learned;
    /// <summary>The predictors and thresholds, or null to read them from <see cref="ModelDir"/> at load.</summary>
    public SparsityFile? File { get; init; }
    public string? ModelDir { get; init; }

    public bool NeedsFile => Mode is SparsityMode.Learned or SparsityMode.Threshold;

    /// <summary>Neurons a token keeps out of <paramref name="total"/> (at least one).</summary>
    public int Kept(int total) => (int)KeptOf(Sparsity, total);

    /// <summary>Entries kept out of <paramref name="total"/> at <paramref name="sparsity"/> (at least one).</summary>
    public static long KeptOf(double sparsity, long total) => Math.Clamp((long)Math.Round((1 - sparsity) * total), 1, total);

    public void Validate()
    {
        if (Recall is { } r && !(r > 0 && r <= 1 && Mode == SparsityMode.Learned))
            throw new ArgumentException($"--sparsity-recall takes a share above 0 and at most 1 with learned predictors, got {r} ({Mode.ToString().ToLowerInvariant()})");
        if (Recall is null && !(Sparsity > 0 && Sparsity < 1))
            throw new ArgumentException($"a sparse shard skips a share between 0 and 1 of its heads and neurons, got {Sparsity}");
        if (NeedsFile && File is null && ModelDir is null)
            throw new ArgumentException($"--sparsity-mode {Mode.ToString().ToLowerInvariant()} needs a model folder with predictors (olm sparsify --model DIR --text FILE); random weights take --sparsity-mode fixed or random");
    }
}
