using System.CommandLine;
using System.Globalization;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>The deployment options of contextual sparsity at decode (Deja Vu): how much, and chosen how.</summary>
internal sealed class SparsityOptions
{
    public Option<string?> Sparsity { get; } = new("--sparsity") { Description = "share of each layer's query heads and FFN neurons a decode token skips, 0 to below 1 (default 0: dense); prefill stays dense" };
    public Option<string?> Mode { get; } = new("--sparsity-mode") { Description = $"{EnumText<SparsityChoice>.Choices}: how heads and neurons are chosen (default: learned predictors of olm sparsify for a model folder, fixed for shape:NAME)" };

    public Option<string?> Recall { get; } = new("--sparsity-recall") { Description = "instead of --sparsity: the held-out recall (0.9 or 90%) every layer's learned predictors must keep; the deployment skips the largest share olm sparsify measured them keeping it at" };

    public IEnumerable<Option> All => [Sparsity, Mode, Recall];

    public SparsitySettings Settings(ParseResult r)
    {
        var settings = new SparsitySettings
        {
            Sparsity = r.GetValue(Sparsity) is { } s ? Parse(s, "--sparsity", "a share") : 0,
            Choice = r.GetValue(Mode) is { } m ? EnumText<SparsityChoice>.Parse(m, "sparsity mode") : null,
            Recall = r.GetValue(Recall) is { } recall ? Parse(recall, "--sparsity-recall", "a recall") : null,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>A share: 0.5, or 50%.</summary>
    internal static double Parse(string text, string option, string what)
    {
        var t = text.Trim();
        var percent = t.EndsWith('%');
        return double.TryParse(percent ? t[..^1] : t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? (percent ? v / 100 : v)
            : throw new ArgumentException($"{option} must be {what} such as 0.5 or 50%, got '{text}'");
    }
}
