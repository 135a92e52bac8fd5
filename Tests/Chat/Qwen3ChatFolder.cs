using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansLlm.Tests.Chat;

/// <summary>
/// A model folder that chats through Qwen3's template: the llama-tiny checkpoint and tokenizer (whose special tokens
/// include &lt;|im_start|&gt; and &lt;|im_end|&gt;) with a tokenizer_config.json holding Tests/Fixtures/chat/qwen3.jinja,
/// made in a temporary folder so the repository keeps one copy of the weights.
/// </summary>
public sealed class Qwen3ChatFolder : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public Qwen3ChatFolder()
    {
        Dir = Directory.CreateTempSubdirectory("olm-qwen3-chat-").FullName;
        foreach (var file in new[] { "config.json", "generation_config.json", "model.safetensors", "tokenizer.json" })
            File.Copy(Path.Combine(Fixtures, "llama-tiny", file), Path.Combine(Dir, file));
        var config = new JsonObject
        {
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["chat_template"] = File.ReadAllText(Path.Combine(Fixtures, "chat", "qwen3.jinja")),
        };
        File.WriteAllText(Path.Combine(Dir, "tokenizer_config.json"), config.ToJsonString());
    }

    public string Dir { get; }

    /// <summary>The cases.json conversations rendered with Qwen3's template and enable_thinking (by jinja2, checked with transformers).</summary>
    public static IEnumerable<(JsonElement Messages, bool EnableThinking, string Expected)> ThinkingCases()
    {
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "chat", "cases.json")));
        foreach (var c in cases.RootElement.EnumerateArray())
        {
            if (c.GetProperty("template").GetString() != "qwen3" || !c.TryGetProperty("variables", out var v)
                || !v.TryGetProperty("enable_thinking", out var thinking)) continue;
            yield return (c.GetProperty("messages").Clone(), thinking.GetBoolean(), c.GetProperty("expected").GetString()!);
        }
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
