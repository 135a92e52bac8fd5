using OrleansLlm.Engine.Chat.Jinja;

namespace OrleansLlm.Engine.Chat;

/// <summary>
/// A model's chat template (Jinja), rendered as transformers' <c>apply_chat_template</c> renders it: jinja2 in an
/// ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, loop controls, <c>{% generation %}</c>, and
/// transformers' <c>tojson</c>, <c>raise_exception</c> and <c>strftime_now</c>. The interpreter is ours
/// (<c>Engine/Chat/Jinja</c>). The template is parsed once; each render has its own state, so many threads can render
/// one template at once, and each is bounded in time (5 s), memory (256 MB of output and values) and macro nesting,
/// since a request may bring its own template.
/// </summary>
public sealed class ChatTemplate
{
    private readonly Template _template;
    private readonly RenderLimits _limits;

    public ChatTemplate(string source) : this(source, RenderLimits.Default) { }

    /// <summary>Other limits than a request's, for tests that must reach one limit before another on a busy machine.</summary>
    internal ChatTemplate(string source, RenderLimits limits)
    {
        Source = source;
        _limits = limits;
        try
        {
            _template = Template.Parse(source);
        }
        catch (TemplateSyntaxError e)
        {
            throw new ChatTemplateException($"chat template does not parse: {OneLine(e.Message)} (line {e.Line})");
        }
    }

    public string Source { get; }

    /// <summary>
    /// The prompt for a conversation: the template's variables are the messages, <c>add_generation_prompt</c>,
    /// <c>tools</c> and <c>documents</c> (none), the tokenizer's special tokens (<c>bos_token</c>, ...), then
    /// <paramref name="variables"/>, which may add or replace any of them as apply_chat_template's keyword arguments
    /// do (Qwen3's <c>enable_thinking</c>, <c>tools</c>, <c>messages</c> with content parts): bools, strings, numbers,
    /// null, lists and dictionaries.
    /// </summary>
    /// <exception cref="ChatTemplateException">The template refuses the conversation (its <c>raise_exception</c>
    /// message, verbatim), fails while rendering, or goes past the render's limits.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, IReadOnlyDictionary<string, string> specialTokens,
        bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null)
    {
        var context = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["tools"] = null,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        foreach (var (name, token) in specialTokens) context[name] = token;
        if (variables is not null)
            foreach (var (name, value) in variables) context[name] = value;
        try
        {
            return _template.Render(context, _limits);
        }
        catch (TemplateRaisedError e)
        {
            throw new ChatTemplateException(e.Message);
        }
        catch (TemplateRuntimeError e)
        {
            throw new ChatTemplateException($"chat template: {OneLine(e.Message)}{(e.Line > 0 ? $" (line {e.Line})" : "")}");
        }
        catch (TemplateLimitError e)
        {
            throw new ChatTemplateException($"chat template: {OneLine(e.Message)}");
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
