using System.Collections.Concurrent;
using OrleansLlm.Engine.Chat;
using OrleansLlm.Engine.Tokenization;
using OrleansLlm.Grains.Hosting;

namespace OrleansLlm.Grains.Requests;

/// <summary>
/// Turns a request into prompt ids: ids as given; text through the model's tokenizer with its special tokens (as
/// transformers' <c>tokenizer(text)</c>); a conversation through the model's chat template, tokenized without special
/// tokens because the template writes them (as <c>apply_chat_template(..., tokenize=True)</c>). Model folders' chat
/// settings and parsed templates are kept per silo.
/// </summary>
public sealed class Prompts(Weights.ModelFolders folders)
{
    /// <summary>Templates a request brought itself are kept too, but only this many before the cache starts over.</summary>
    private const int MaxTemplates = 64;

    private readonly ConcurrentDictionary<string, Lazy<ModelChat>> _models = new();
    private readonly ConcurrentDictionary<string, Lazy<ChatTemplate>> _templates = new();

    public int[] Ids(GenerateRequest request, DeploymentInfo deployment, HfTokenizer? tokenizer)
    {
        var given = (request.PromptIds is { Length: > 0 } ? 1 : 0) + (request.Messages is not null ? 1 : 0)
                    + (string.IsNullOrEmpty(request.Prompt) ? 0 : 1);
        if (given != 1) throw Bad(given == 0 ? "give a prompt (text, token ids or messages)" : "give one prompt: text, token ids or messages");
        if (request.PromptIds is { Length: > 0 } ids) return ids;
        var text = request.Messages is { } messages ? Render(messages, request.ChatTemplate, deployment) : request.Prompt!;
        if (tokenizer is null) throw Bad("this model has no tokenizer.json; pass token ids (--prompt-ids)");
        return tokenizer.Encode(text, addSpecialTokens: request.Messages is null);
    }

    /// <summary>The prompt text of a conversation under the deployment's (or the request's) chat template.</summary>
    public string Render(ChatTurn[] messages, string? templateSource, DeploymentInfo deployment)
    {
        if (messages.Length == 0) throw Bad("messages is empty");
        var chat = Model(deployment.Spec.Model);
        var source = templateSource ?? chat.TemplateSource
            ?? throw Bad($"model '{ModelName.Short(deployment.Spec.Model)}' has no chat template (tokenizer_config.json " +
                         "chat_template or chat_template.jinja); send a prompt instead, or a chat_template");
        try
        {
            return Template(source).Render(messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList(), chat.SpecialTokens);
        }
        catch (ChatTemplateException e)
        {
            if (e.Message.StartsWith("chat template does not parse", StringComparison.Ordinal)) _templates.TryRemove(source, out _);
            throw Bad(e.Message);
        }
    }

    private ModelChat Model(string model)
    {
        var dir = folders.Resolve(model);
        if (ModelName.IsShape(dir)) throw Bad($"model '{dir}' has random weights and no tokenizer; pass token ids (--prompt-ids)");
        var lazy = _models.GetOrAdd(Path.GetFullPath(dir), d => new Lazy<ModelChat>(() => ModelChat.Load(d)));
        try
        {
            return lazy.Value;
        }
        catch (ChatTemplateException e)
        {
            _models.TryRemove(Path.GetFullPath(dir), out _);
            throw Bad(e.Message);
        }
    }

    private ChatTemplate Template(string source)
    {
        if (_templates.Count >= MaxTemplates && !_templates.ContainsKey(source)) _templates.Clear();
        return _templates.GetOrAdd(source, s => new Lazy<ChatTemplate>(() => new ChatTemplate(s))).Value;
    }

    private static OlmException Bad(string message) => new(message, OlmErrorKind.BadRequest);
}
