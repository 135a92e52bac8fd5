using System.Globalization;

namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// Contextual sparsity at decode (Deja Vu): the share of each layer's query heads and FFN neurons a decode token skips,
/// and how they are chosen. 0 (the default) is the dense deployment, unchanged. Prefill stays dense.
/// </summary>
[GenerateSerializer, Immutable, Alias("olm.SparsitySettings")]
public sealed record SparsitySettings
{
    [Id(0)] public double Sparsity { get; init; }
    /// <summary>How heads and neurons are chosen (ignored at sparsity 0); null: learned for a model folder, fixed for shape:NAME.</summary>
    [Id(1)] public SparsityChoice? Choice { get; init; }
    /// <summary>
    /// Instead of a share: the held-out recall every layer's learned predictors must keep; each shard takes the largest
    /// sparsity olm sparsify measured them keeping it at.
    /// </summary>
    [Id(2)] public double? Recall { get; init; }

    public bool IsOff => Sparsity == 0 && Recall is null;

    public void Validate()
    {
        if (!(Sparsity >= 0 && Sparsity < 1))
            throw new OlmException($"--sparsity must be at least 0 and below 1 (the share of heads and neurons a decode token skips), got {Sparsity.ToString(CultureInfo.InvariantCulture)}", OlmErrorKind.BadRequest);
        if (Recall is not { } r) return;
        if (Sparsity != 0)
            throw new OlmException("--sparsity and --sparsity-recall each set how sparse: give one", OlmErrorKind.BadRequest);
        if (!(r > 0 && r <= 1))
            throw new OlmException($"--sparsity-recall must be above 0 and at most 1 (the share of each token's top heads and neurons the predictors keep), got {r.ToString(CultureInfo.InvariantCulture)}", OlmErrorKind.BadRequest);
        if (Choice is { } c && c != SparsityChoice.Learned)
            throw new OlmException($"--sparsity-recall measures learned predictors: not with --sparsity-mode {EnumText<SparsityChoice>.Name(c)}", OlmErrorKind.BadRequest);
    }

    /// <summary>The choice a model gets: learned predictors for a folder, a fixed selection for random weights.</summary>
    public SparsityChoice ChoiceFor(string model) => Choice ?? (ModelName.IsShape(model) ? SparsityChoice.Fixed : SparsityChoice.Learned);

    /// <summary>"sparsity 0.5 (learned)"; "" when off.</summary>
    public override string ToString() => IsOff ? ""
        : (Recall is { } r ? $"sparsity for recall {r.ToString("R", CultureInfo.InvariantCulture)}" : $"sparsity {Sparsity.ToString("R", CultureInfo.InvariantCulture)}")
          + (Choice is { } c ? $" ({EnumText<SparsityChoice>.Name(c)})" : "");
}
