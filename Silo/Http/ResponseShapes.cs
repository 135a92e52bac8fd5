using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Silo.Http;

/// <summary>Token usage of a response, as OpenAI counts it.</summary>
internal sealed record Usage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>How a completion or a chat completion writes itself: whole, or as stream chunks.</summary>
internal interface IResponseShape
{
    string IdPrefix { get; }
    object Whole(string id, long created, string model, string text, string finish, Usage usage);
    /// <summary>A stream chunk: the opening one (role, for chat), text, or the closing one with its finish reason.</summary>
    object Chunk(string id, long created, string model, string? text, string? finish, bool opening = false);
    object UsageChunk(string id, long created, string model, Usage usage);

    /// <summary>OpenAI's finish reasons: length when the token budget ran out, stop otherwise.</summary>
    static string Finish(string? stopReason) => stopReason == "Length" ? "length" : "stop";
}

internal sealed class CompletionShape : IResponseShape
{
    public string IdPrefix => "cmpl-";

    public object Whole(string id, long created, string model, string text, string finish, Usage usage) => new
    {
        id, @object = "text_completion", created, model,
        choices = new[] { new { index = 0, text, logprobs = (object?)null, finish_reason = finish } }, usage,
    };

    public object Chunk(string id, long created, string model, string? text, string? finish, bool opening = false) => new
    {
        id, @object = "text_completion", created, model,
        choices = new[] { new { index = 0, text = text ?? "", logprobs = (object?)null, finish_reason = finish } },
    };

    public object UsageChunk(string id, long created, string model, Usage usage) =>
        new { id, @object = "text_completion", created, model, choices = Array.Empty<object>(), usage };
}

internal sealed class ChatShape : IResponseShape
{
    public string IdPrefix => "chatcmpl-";

    public object Whole(string id, long created, string model, string text, string finish, Usage usage) => new
    {
        id, @object = "chat.completion", created, model,
        choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, logprobs = (object?)null, finish_reason = finish } },
        usage,
    };

    public object Chunk(string id, long created, string model, string? text, string? finish, bool opening = false)
    {
        object delta = opening ? new { role = "assistant", content = "" } : text is null ? new { } : new { content = text };
        return new
        {
            id, @object = "chat.completion.chunk", created, model,
            choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finish } },
        };
    }

    public object UsageChunk(string id, long created, string model, Usage usage) =>
        new { id, @object = "chat.completion.chunk", created, model, choices = Array.Empty<object>(), usage };
}
