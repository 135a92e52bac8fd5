using System.Text.Json;

namespace OrleansLlm.Client.Output;

/// <summary>The one JSON object a --json command prints as its last line of stdout.</summary>
internal static class JsonLine
{
    /// <summary>snake_case names; text as plain UTF-8 (no \u002B for '+' or \u003C for '&lt;': this is not HTML).</summary>
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = Grains.Interfaces.Text.PlainJsonEncoder.Instance,
    };

    public static void Write(object value) => Console.Out.WriteLine(Format(value));

    public static string Format(object value) => JsonSerializer.Serialize(value, Options);
}
