using System.CommandLine;
using System.Globalization;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>The deployment options of contextual sparsity at decode (Deja Vu): how much, and chosen how.</summary>
internal sealed class SparsityOptions
{
    public Option<string?> Sparsity { get; } = new("--sparsity") { Description = "share of each layer's query heads and FFN neurons a decode token skips, 0 to below 1 (default 0: dense); prefill stays dense" };
    public Option<string?> Mode { get; } = new("--sparsity-mode") { Description = $"{EnumText<SparsityChoice>.Choices}: how heads and neurons are chosen (default: learned predictors of olm sparsify for a model folder, fixed for shape:NAME)" };

    public IEnumerable<Option> All => [Sparsity, Mode];

    public SparsitySettings Settings(ParseResult r)
    {
        var settings = new SparsitySettings
        {
            Sparsity = r.GetValue(Sparsity) is { } s ? Parse(s) : 0,
            Choice = r.GetValue(Mode) is { } m ? EnumText<SparsityChoice>.Parse(m, "sparsity mode") : null,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>A share: 0.5, or 50%.</summary>
    internal static double Parse(string text)
    {
        var t = text.Trim();
        var percent = t.EndsWith('%');
        return double.TryParse(percent ? t[..^1] : t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? (percent ? v / 100 : v)
            : throw new ArgumentException($"--sparsity must be a share such as 0.5 or 50%, got '{text}'");
    }
}
