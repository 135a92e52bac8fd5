using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Generation;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Tokenization;

namespace OrleansLlm.Engine;

/// <summary>A whole model in this process: config, tokenizer (when the folder has one) and weights.</summary>
public sealed class LocalModel : IDisposable
{
    public ModelConfig Config { get; }
    public HfTokenizer? Tokenizer { get; }
    public ShardModel Model { get; }

    private LocalModel(ModelConfig config, HfTokenizer? tokenizer, ShardModel model)
    {
        Config = config;
        Tokenizer = tokenizer;
        Model = model;
    }

    public static LocalModel Load(string modelDir, ShardOptions? options = null)
    {
        var config = ModelConfig.Load(modelDir);
        var tokenizer = File.Exists(Path.Combine(modelDir, "tokenizer.json")) ? HfTokenizer.Load(modelDir) : null;
        options ??= new ShardOptions();
        using var checkpoint = Checkpoint.Open(modelDir);
        // A weight window reads its blocks again every step, for as long as the model lives.
        var streamed = options.Window > 0 ? StreamingCheckpoint.Open(modelDir) : null;
        var model = ShardModel.Load(config, ModelSlice.Full(config), options, checkpoint, streamed: streamed);
        return new LocalModel(config, tokenizer, model);
    }

    /// <summary>Generates from prompt ids, streaming tokens; checks the request against the context first.</summary>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions options,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        options.Validate();
        ContextLimit.Check(promptIds, options.MaxNewTokens, Config.MaxPositions, Config.VocabSize);
        using var session = new LocalSession(Model, promptIds.Count + options.MaxNewTokens);
        var generator = new Generator(session, Config.EosTokenIds, Tokenizer);
        await foreach (var token in generator.GenerateAsync(promptIds, options, cancellation))
            yield return token;
    }

    public void Dispose() => Model.Dispose();
}
