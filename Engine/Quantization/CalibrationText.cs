using OrleansLlm.Engine.Tokenization;

namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// The token ids static int8 scales are calibrated on: a text (a built-in story unless one is given) through the
/// model's tokenizer, or, for a model without one (random weights), ids drawn from the text's hash; at most 512.
/// </summary>
public static class CalibrationText
{
    public const int MaxTokens = 512;

    public static string BuiltIn()
    {
        using var stream = typeof(CalibrationText).Assembly.GetManifestResourceStream("calibration.txt")
            ?? throw new InvalidOperationException("the engine assembly lacks its calibration.txt resource");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static int[] Ids(string? modelDir, string? text, int vocabSize, int maxPositions)
    {
        text ??= BuiltIn();
        var limit = Math.Min(MaxTokens, maxPositions);
        if (modelDir is not null && File.Exists(Path.Combine(modelDir, "tokenizer.json")))
            return HfTokenizer.Load(modelDir).Encode(text).Take(limit).ToArray();
        var random = new Random(text.Aggregate(17, (h, ch) => unchecked(h * 31 + ch)));
        return Enumerable.Range(0, limit).Select(_ => random.Next(vocabSize)).ToArray();
    }
}
