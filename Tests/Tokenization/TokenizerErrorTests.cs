using OrleansLlm.Engine.Tokenization;
using Xunit;

namespace OrleansLlm.Tests.Tokenization;

public sealed class TokenizerErrorTests
{
    private const string MinimalModel = """{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}""";

    [Fact]
    public void Missing_file_names_the_directory()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"no-tokenizer-{Guid.NewGuid():N}");
        var e = Assert.Throws<TokenizerException>(() => HfTokenizer.Load(dir));
        Assert.Equal($"tokenizer.json not found in {dir}", e.Message);
    }

    [Fact]
    public void Invalid_json_says_so()
    {
        var e = Assert.Throws<TokenizerException>(() => HfTokenizer.FromJson("{\"model\": "));
        Assert.StartsWith("tokenizer.json is not valid JSON:", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Unsupported_model_type_is_named()
    {
        var e = Assert.Throws<TokenizerException>(() => HfTokenizer.FromJson("""{"model": {"type": "WordPiece", "vocab": {}}}"""));
        Assert.Equal("unsupported tokenizer model type 'WordPiece' (supported: BPE)", e.Message);
    }

    [Theory]
    [InlineData("normalizer", "Precompiled")]
    [InlineData("pre_tokenizer", "BertPreTokenizer")]
    [InlineData("decoder", "WordPiece")]
    [InlineData("post_processor", "RobertaProcessing")]
    public void Unsupported_component_type_is_named(string component, string type)
    {
        var json = $$"""{"{{component}}": {"type": "{{type}}"}, "model": {{MinimalModel}}}""";
        var e = Assert.Throws<TokenizerException>(() => HfTokenizer.FromJson(json));
        Assert.StartsWith($"unsupported {component} type '{type}' (supported: ", e.Message);
    }

    [Fact]
    public void Merge_of_a_token_outside_the_vocab_is_named()
    {
        var json = """{"model": {"type": "BPE", "vocab": {"a": 0, "ab": 1}, "merges": ["a c"]}}""";
        var e = Assert.Throws<TokenizerException>(() => HfTokenizer.FromJson(json));
        Assert.Equal("merge \"a c\" uses 'c', which is not in the vocab", e.Message);
    }

    [Fact]
    public void Field_of_the_wrong_kind_is_reported_as_a_tokenizer_error()
    {
        var json = """{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}""";
        var e = Assert.Throws<TokenizerException>(() => HfTokenizer.FromJson(json));
        Assert.StartsWith("tokenizer.json has an unexpected value:", e.Message);
    }
}
