using System.Text.Json;

namespace OrleansLlm.Silo.Http;

/// <summary>How the API reads and writes JSON: snake_case names, nulls written out, text as plain UTF-8.</summary>
internal static class OpenAiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = Grains.Interfaces.Text.PlainJsonEncoder.Instance,
    };

    /// <summary>How request bodies are read: as <see cref="Options"/>, large escaped strings kept out of shared pools.</summary>
    public static readonly JsonSerializerOptions RequestOptions = new(Options) { Converters = { new JsonStrings.Converter() } };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Unix seconds, as OpenAI's "created" fields count.</summary>
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
