using System.Reflection;
using System.Text.Json;
using Jint;
using Jint.Native;
using Jint.Runtime;

namespace OrleansLlm.Engine.Chat;

/// <summary>
/// A model's chat template (Jinja), rendered as transformers' <c>apply_chat_template</c> renders it. The Jinja
/// interpreter is Hugging Face's own (<c>@huggingface/jinja</c>, what transformers.js uses: trim_blocks and
/// lstrip_blocks, <c>namespace</c>, <c>loop</c>, <c>tojson</c>, <c>raise_exception</c>, <c>strftime_now</c>), run by
/// Jint. The template is parsed once; a Jint engine is single-threaded, so renders of one template take turns.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The interpreter's module, parsed once for every engine of the process.</summary>
    private static readonly Lazy<Prepared<Acornima.Ast.Module>> Library = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("huggingface-jinja.js")!;
        return Jint.Engine.PrepareModule(new StreamReader(stream).ReadToEnd(), "jinja");
    });

    /// <summary>A template is data, but a request may bring its own: bound what one render may take.</summary>
    private static readonly TimeSpan RenderTimeout = TimeSpan.FromSeconds(5);
    private const long RenderMemoryBytes = 256L << 20;

    private readonly Lock _lock = new();
    private readonly Jint.Engine _js;
    private readonly JsValue _template;
    private readonly JsValue _render;

    public ChatTemplate(string source)
    {
        Source = source;
        _js = new Jint.Engine(o => o.TimeoutInterval(RenderTimeout).LimitMemory(RenderMemoryBytes).LimitRecursion(512));
        var library = Library.Value;
        _js.Modules.Add("jinja", b => b.AddModule(in library));
        var constructor = _js.Modules.Import("jinja").Get("Template");
        _template = Run(() => _js.Construct(constructor, source), "chat template does not parse: ");
        _render = _template.Get("render");
    }

    public string Source { get; }

    /// <summary>
    /// The prompt for a conversation: the template's variables are the messages, <c>add_generation_prompt</c>,
    /// <c>tools</c> and <c>documents</c> (none), and the tokenizer's special tokens (<c>bos_token</c>, ...).
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, IReadOnlyDictionary<string, string> specialTokens,
        bool addGenerationPrompt = true)
    {
        var context = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => new Dictionary<string, string> { ["role"] = m.Role, ["content"] = m.Content }),
            ["tools"] = null,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        foreach (var (name, token) in specialTokens) context[name] = token;
        var json = JsonSerializer.Serialize(context);
        lock (_lock)
        {
            var value = Run(() => _js.Invoke(_render, _template, [new Jint.Native.Json.JsonParser(_js).Parse(json)]), "");
            return value.IsString() ? value.AsString() : value.ToString();
        }
    }

    /// <summary>
    /// The interpreter's errors as one line: a template's <c>raise_exception</c> keeps its own message, as transformers
    /// reports it; a render that runs out of time or memory says so.
    /// </summary>
    private static JsValue Run(Func<JsValue> work, string prefix)
    {
        try
        {
            return work();
        }
        catch (JavaScriptException e)
        {
            throw new ChatTemplateException(prefix + e.Message.Split('\n', 2)[0].Trim());
        }
        catch (Exception e) when (e is TimeoutException or MemoryLimitExceededException or RecursionDepthOverflowException
                                      or StatementsCountOverflowException or JintException)
        {
            throw new ChatTemplateException($"chat template: {e.Message.Split('\n', 2)[0].Trim()}");
        }
    }
}
