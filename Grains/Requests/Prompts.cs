using System.Collections.Concurrent;
using OrleansLlm.Engine.Chat;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// Turns a request into prompt ids: ids as given; text through the model's tokenizer with its special tokens (as
/// transformers' <c>tokenizer(text)</c>); a conversation through the model's chat template, tokenized without special
/// tokens because the template writes them (as <c>apply_chat_template(..., tokenize=True)</c>). Model folders' chat
/// settings and parsed templates are kept per silo. Work is bounded by the context length: a text longer than the
/// tokenizer's characters-per-token bound allows is refused untokenized, and tokenizing stops once it passes the context.
/// </summary>
public sealed class Prompts(Weights.ModelFolders folders)
{
    /// <summary>Templates a request brought itself are kept too, but only this many before the cache starts over.</summary>
    private const int MaxTemplates = 64;

    /// <summary>Longer templates (model templates are a few KB) are parsed for their request and not kept.</summary>
    private const int MaxCachedTemplateChars = 256 * 1024;

    private readonly ConcurrentDictionary<string, Lazy<ModelChat>> _models = new();
    private readonly ConcurrentDictionary<string, Lazy<ChatTemplate>> _templates = new();

    public int[] Ids(GenerateRequest request, DeploymentInfo deployment, HfTokenizer? tokenizer, CancellationToken cancellation)
    {
        var given = (request.PromptIds is { Length: > 0 } ? 1 : 0) + (request.Messages is not null ? 1 : 0)
                    + (string.IsNullOrEmpty(request.Prompt) ? 0 : 1);
        if (given != 1)
            throw Bad(given == 0 ? "give a prompt (text, token ids or messages)" : "give one prompt: text, token ids or messages", Field(request));
        if (request.PromptIds is { Length: > 0 } ids) return ids;
        var limit = deployment.ContextLength;
        var text = request.Messages is { } messages
            ? Render(messages, request.ChatTemplate, deployment, tokenizer, request.ChatTemplateKwargs)
            : request.Prompt!;
        if (tokenizer is null) throw Bad("this model has no tokenizer.json; pass token ids (--prompt-ids)", Field(request));
        CheckLength(text.Length, tokenizer, limit, request.Messages is null ? "prompt" : "conversation", Field(request));
        var encoded = tokenizer.Encode(text, addSpecialTokens: request.Messages is null, limit, cancellation);
        if (encoded.Length > limit)
            throw new OlmException($"the prompt is more than {limit} tokens, the model's context length", OlmErrorKind.ContextOverflow,
                Field(request));
        return encoded;
    }

    /// <summary>The request member that holds its prompt.</summary>
    public static string Field(GenerateRequest request) =>
        request.Messages is not null ? nameof(GenerateRequest.Messages)
        : request.PromptIds is { Length: > 0 } ? nameof(GenerateRequest.PromptIds) : nameof(GenerateRequest.Prompt);

    /// <summary>A text that cannot be that few tokens, known from its length, is refused before any tokenizing.</summary>
    private static void CheckLength(long length, HfTokenizer tokenizer, int limit, string what, string field)
    {
        if (!tokenizer.CannotFit(length, limit)) return;
        throw new OlmException($"the {what} is {length} characters, more than the model's context of {limit} tokens can hold " +
                               $"(a token covers at most {tokenizer.MaxCharsPerToken} characters)", OlmErrorKind.ContextOverflow, field);
    }

    /// <summary>
    /// The prompt text of a conversation under the deployment's (or the request's) chat template, with the request's
    /// extra template variables (JSON text per name). Templates write every message's content, so messages that together
    /// cannot fit the context are refused before rendering.
    /// </summary>
    public string Render(ChatTurn[] messages, string? templateSource, DeploymentInfo deployment, HfTokenizer? tokenizer = null,
        IReadOnlyDictionary<string, string>? templateKwargs = null)
    {
        const string field = nameof(GenerateRequest.Messages);
        if (messages.Length == 0) throw Bad("messages is empty", field);
        var variables = Variables(templateKwargs);
        if (tokenizer is not null) CheckLength(messages.Sum(m => (long)m.Content.Length), tokenizer, deployment.ContextLength, "conversation", field);
        var chat = Model(deployment.Spec.Model);
        var source = templateSource ?? chat.TemplateSource
            ?? throw Bad($"model '{ModelName.Short(deployment.Spec.Model)}' has no chat template (tokenizer_config.json " +
                         "chat_template or chat_template.jinja); send a prompt instead, or a chat_template", field);
        try
        {
            return Template(source).Render(messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList(), chat.SpecialTokens,
                variables: variables);
        }
        catch (ChatTemplateException e)
        {
            var unparsed = e.Message.StartsWith("chat template does not parse", StringComparison.Ordinal);
            if (unparsed) _templates.TryRemove(source, out _);
            throw Bad(e.Message, unparsed && templateSource is not null ? nameof(GenerateRequest.ChatTemplate) : field);
        }
    }

    private static Dictionary<string, object?> Variables(IReadOnlyDictionary<string, string>? templateKwargs)
    {
        try
        {
            return TemplateVariables.Parse(templateKwargs);
        }
        catch (ChatTemplateException e)
        {
            throw Bad(e.Message, nameof(GenerateRequest.ChatTemplateKwargs));
        }
    }

    private ModelChat Model(string model)
    {
        var dir = folders.Resolve(model);
        if (ModelName.IsShape(dir))
            throw Bad($"model '{dir}' has random weights and no tokenizer; pass token ids (--prompt-ids)", nameof(GenerateRequest.Messages));
        var lazy = _models.GetOrAdd(Path.GetFullPath(dir), d => new Lazy<ModelChat>(() => ModelChat.Load(d)));
        try
        {
            return lazy.Value;
        }
        catch (ChatTemplateException e)
        {
            _models.TryRemove(Path.GetFullPath(dir), out _);
            throw Bad(e.Message, nameof(GenerateRequest.Messages));
        }
    }

    private ChatTemplate Template(string source)
    {
        if (source.Length > MaxCachedTemplateChars) return new ChatTemplate(source);
        if (_templates.Count >= MaxTemplates && !_templates.ContainsKey(source)) _templates.Clear();
        return _templates.GetOrAdd(source, s => new Lazy<ChatTemplate>(() => new ChatTemplate(s))).Value;
    }

    private static OlmException Bad(string message, string field) => new(message, OlmErrorKind.BadRequest, field);
}
