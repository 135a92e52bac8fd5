using OrleansLlm.Engine;
using OrleansLlm.Engine.Generation;
using Xunit;

namespace OrleansLlm.Tests.Engine;

public class GenerationTests
{
    public static TheoryData<string> Fixtures => new(Fixture.Names);

    private static async Task<List<GeneratedToken>> Run(LocalModel model, IReadOnlyList<int> prompt, GenerationOptions options)
    {
        var tokens = new List<GeneratedToken>();
        await foreach (var t in model.GenerateAsync(prompt, options)) tokens.Add(t);
        return tokens;
    }

    [Theory, MemberData(nameof(Fixtures))]
    public async Task GreedyIdsEqualTransformersGenerate(string name)
    {
        var f = new Fixture(name);
        using var model = LocalModel.Load(f.Dir);
        var prompt = f.GreedyIds[..f.PromptLength].Select(i => (int)i).ToArray();
        var want = f.GreedyIds[f.PromptLength..].Select(i => (int)i).ToArray();
        var tokens = await Run(model, prompt, new GenerationOptions { MaxNewTokens = want.Length, EosTokenIds = [] });
        if (f.GreedyIdsMaskedAToken) want = GreedyChainOf(f, model, prompt, want.Length);
        Assert.Equal(want, tokens.Select(t => t.Id));
        Assert.Equal(StopReason.Length, tokens[^1].Stop);
    }

    /// <summary>
    /// The greedy ids of the model's unmasked continuation, each the argmax of a full forward over the ids so far (the
    /// prefill path, which the teacher-forced test holds to transformers' logits): a reference apart from the decode
    /// path, for a fixture whose recorded generation masked a prompt token.
    /// </summary>
    private static int[] GreedyChainOf(Fixture f, LocalModel model, int[] prompt, int count)
    {
        var ids = prompt.Select(i => (long)i).ToList();
        for (var i = 0; i < count; i++)
        {
            using var cache = model.Model.NewCache(ids.Count);
            using var x = TorchSharp.torch.tensor(ids.ToArray());
            using var h = model.Model.ForwardLayers(model.Model.Embed(x), cache);
            using var logits = model.Model.Logits(h);
            ids.Add(logits[-1].argmax().item<long>());
        }
        return ids.Skip(prompt.Length).Select(i => (int)i).ToArray();
    }

    [Fact]
    public async Task StreamedTextEqualsTheDecodedIds()
    {
        var f = new Fixture("llama-tiny");
        using var model = LocalModel.Load(f.Dir);
        var prompt = model.Tokenizer!.Encode("def main():");
        var tokens = await Run(model, prompt, new GenerationOptions
        {
            MaxNewTokens = 20, EosTokenIds = [], Sampling = new SamplingOptions { Temperature = 0.9, Seed = 3 },
        });
        Assert.Equal(model.Tokenizer.Decode(tokens.Select(t => t.Id)), string.Concat(tokens.Select(t => t.Text)));
    }

    [Fact]
    public async Task GenerationStopsAtEosAndAtStopStrings()
    {
        var f = new Fixture("llama-tiny");
        using var model = LocalModel.Load(f.Dir);
        var prompt = f.GreedyIds[..f.PromptLength].Select(i => (int)i).ToArray();
        var greedy = f.GreedyIds[f.PromptLength..].Select(i => (int)i).ToArray();
        var eos = await Run(model, prompt, new GenerationOptions { MaxNewTokens = 20, EosTokenIds = [greedy[3]] });
        Assert.Equal(greedy[..4], eos.Select(t => t.Id));
        Assert.Equal(StopReason.EndOfSequence, eos[^1].Stop);

        var full = string.Concat((await Run(model, prompt, new GenerationOptions { MaxNewTokens = 8, EosTokenIds = [] })).Select(t => t.Text));
        var stop = full.Substring(full.Length / 2, 2);
        var stopped = await Run(model, prompt, new GenerationOptions { MaxNewTokens = 8, EosTokenIds = [], StopStrings = [stop] });
        Assert.Equal(StopReason.StopString, stopped[^1].Stop);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], string.Concat(stopped.Select(t => t.Text)));
    }

    [Fact]
    public async Task SamplingWithASeedIsReproducible()
    {
        using var model = LocalModel.Load(Fixture.DirOf("qwen2-tiny"));
        var options = new GenerationOptions
        {
            MaxNewTokens = 12, EosTokenIds = [],
            Sampling = new SamplingOptions { Temperature = 1.0, TopK = 50, TopP = 0.9, Seed = 42 },
        };
        var a = (await Run(model, [5, 6, 7], options)).Select(t => t.Id);
        var b = (await Run(model, [5, 6, 7], options)).Select(t => t.Id);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(500, 13, "exceeds the model context (512)")]
    [InlineData(3, -1, "max new tokens must be 0 or more")]
    public async Task RequestsBeyondTheContextAreRefused(int promptLength, int maxNew, string message)
    {
        using var model = LocalModel.Load(Fixture.DirOf("llama-tiny"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            Run(model, Enumerable.Repeat(5, promptLength).ToArray(), new GenerationOptions { MaxNewTokens = maxNew }));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task TokenIdsOutsideTheVocabularyAreRefused()
    {
        using var model = LocalModel.Load(Fixture.DirOf("llama-tiny"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Run(model, [1, 320], new GenerationOptions()));
        Assert.Contains("token id 320 at position 1 is outside the vocabulary [0, 320)", e.Message);
    }
}
