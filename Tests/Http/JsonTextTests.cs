using System.Text;
using System.Text.Json;
using OrleansLlm.Silo.Http;
using Xunit;

namespace OrleansLlm.Tests.Http;

/// <summary>The body's text checks (UTF-8, lone surrogate escapes) and the unescaping of large strings outside shared pools.</summary>
public sealed class JsonTextTests
{
    [Theory]
    [InlineData("""{"a": "\ud83d\ude00 \\ud800 \\\\ud800 é"}""")] // a pair, and escaped backslashes before "ud800" (plain text)
    [InlineData("""{"a": "\u00e9\n\"\\"}""")]
    [InlineData("""{"a": "\u12"}""")] // malformed: the JSON reader's to report, not a surrogate
    public void SoundTextHasNoProblem(string json) => Assert.Null(JsonText.Problem(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"a": "\ud800"}""", "\\ud800")]
    [InlineData("""{"a": "\udfff\ud83d"}""", "\\udfff")]
    [InlineData("""{"a": "x\ud83d\u0041"}""", "\\ud83d")]
    [InlineData("""{"a": "\ud83d"}""", "\\ud83d")]
    public void ALoneSurrogateEscapeIsNamed(string json, string escape)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = json.IndexOf(escape, StringComparison.Ordinal);
        Assert.Equal($"the body has a lone surrogate escape {escape} (byte {at}); JSON strings must be valid Unicode", JsonText.Problem(bytes));
    }

    [Fact]
    public void ALargeEscapedStringReadsAsSystemTextJsonReadsIt()
    {
        var text = string.Concat(Enumerable.Repeat("line\n\t\"quoted\" \\ / é 😀 \u0001 ", 5000));
        var json = JsonSerializer.Serialize(new { prompt = text, messages = new[] { text } },
            new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default });
        Assert.Contains("\\ud83d\\ude00", json, StringComparison.OrdinalIgnoreCase); // the default encoder escapes what is not ASCII
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal(text, JsonStrings.Value(root.GetProperty("prompt")));
        Assert.Equal(text, JsonSerializer.Deserialize<Holder>(json, OpenAiJson.RequestOptions)!.Prompt);
    }

    private sealed class Holder
    {
        public string? Prompt { get; set; }
    }
}
