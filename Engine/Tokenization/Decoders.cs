using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// Builds the tokenizer.json decoder as HF's decode chain: a list of token strings in, a list out;
/// the decoded text is their concatenation.
/// </summary>
internal static class Decoders
{
    private const string Supported = "Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace";

    public static Func<List<string>, List<string>>? FromJson(JsonElement? json)
    {
        if (json is not { } d) return null;
        var type = d.TypeTag("decoder");
        return type switch
        {
            "Sequence" => Chain(d.Items("decoders").Select(c => FromJson(c)!).ToArray()),
            "ByteLevel" => ByteLevel,
            "Replace" => Replace(d),
            "ByteFallback" => ByteFallback,
            "Fuse" => tokens => [string.Concat(tokens)],
            "Strip" => Strip(d.Str("content") ?? " ", d.Int("start", 0), d.Int("stop", 0)),
            "Metaspace" => Metaspace(d.Str("replacement") ?? "▁", PreTokenizers.MetaspaceScheme(d) != "never"),
            _ => throw JsonRead.Unsupported("decoder", type, Supported),
        };
    }

    /// <summary>Whether the decoder turns runs of "&lt;0xAB&gt;" tokens into text (a later byte can spoil a whole run).</summary>
    public static bool UsesByteFallback(JsonElement? json) =>
        json is { } d && (d.Str("type") == "ByteFallback" || d.Items("decoders").Any(c => UsesByteFallback(c)));

    private static Func<List<string>, List<string>> Chain(Func<List<string>, List<string>>[] steps) =>
        tokens => steps.Aggregate(tokens, (current, step) => step(current));

    private static List<string> ByteLevel(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens) ByteLevelAlphabet.AppendBytes(token, bytes);
        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }

    private static Func<List<string>, List<string>> Replace(JsonElement d)
    {
        var regex = Patterns.Compile(d.PatternRegex("pattern"));
        var content = d.Str("content") ?? "";
        return tokens => tokens.Select(t => regex.Replace(t, _ => content)).ToList();
    }

    /// <summary>
    /// Runs of "&lt;0xAB&gt;" tokens become the text of their bytes; a run that is not valid UTF-8 becomes
    /// one U+FFFD per byte, as in HF.
    /// </summary>
    private static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var run = new List<byte>();
        foreach (var token in tokens)
        {
            if (TryParseByteToken(token, out var b)) { run.Add(b); continue; }
            FlushRun(run, result);
            result.Add(token);
        }
        FlushRun(run, result);
        return result;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private static void FlushRun(List<byte> run, List<string> result)
    {
        if (run.Count == 0) return;
        try
        {
            result.Add(StrictUtf8.GetString(run.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            result.AddRange(Enumerable.Repeat("\uFFFD", run.Count));
        }
        run.Clear();
    }

    public static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Per token, removes up to <paramref name="start"/> leading and <paramref name="stop"/> trailing copies of content.</summary>
    private static Func<List<string>, List<string>> Strip(string content, int start, int stop)
    {
        var c = content.Length == 1 ? content[0] : throw new TokenizerException($"Strip decoder content must be one char, got '{content}'");
        return tokens => tokens.Select(t =>
        {
            var from = 0;
            while (from < start && from < t.Length && t[from] == c) from++;
            var to = t.Length;
            while (t.Length - to < stop && to > from && t[to - 1] == c) to--;
            return t[from..to];
        }).ToList();
    }

    /// <summary>"▁" becomes a space, except that the first token loses its "▁" outright when a prefix was added.</summary>
    private static Func<List<string>, List<string>> Metaspace(string replacement, bool dropFirst) =>
        tokens => tokens.Select((t, i) => t.Replace(replacement, i == 0 && dropFirst ? "" : " ", StringComparison.Ordinal)).ToList();
}
