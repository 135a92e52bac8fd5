using System.Collections.Concurrent;
using OrleansLlm.Engine.Tokenization;

namespace OrleansLlm.Grains.Requests;

/// <summary>Tokenizers loaded on this silo, one per model folder.</summary>
public sealed class TokenizerCache(Weights.ModelFolders folders)
{
    private readonly ConcurrentDictionary<string, Lazy<HfTokenizer>> _tokenizers = new();

    public HfTokenizer Get(string model)
    {
        var modelDir = folders.Resolve(model);
        if (ModelName.IsShape(modelDir))
            throw new OlmException($"model '{modelDir}' has random weights and no tokenizer; pass token ids (--prompt-ids)", OlmErrorKind.BadRequest);
        if (!File.Exists(Path.Combine(modelDir, "tokenizer.json")))
            throw new OlmException($"no tokenizer.json in {modelDir}; pass token ids (--prompt-ids)", OlmErrorKind.BadRequest);
        var lazy = _tokenizers.GetOrAdd(Path.GetFullPath(modelDir), d => new Lazy<HfTokenizer>(() => HfTokenizer.Load(d)));
        try
        {
            return lazy.Value;
        }
        catch (TokenizerException e)
        {
            _tokenizers.TryRemove(Path.GetFullPath(modelDir), out _);
            throw new OlmException(e.Message, OlmErrorKind.BadRequest);
        }
    }
}
