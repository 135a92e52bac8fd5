using System.Text.Json.Nodes;
using OrleansLlm.Engine;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using Xunit;

namespace OrleansLlm.Tests.Engine;

/// <summary>Bad checkpoints and configs fail with an error that names what is wrong, and nothing is left loaded.</summary>
public sealed class ModelLoadErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-model-").FullName;

    public ModelLoadErrorTests()
    {
        foreach (var f in Directory.GetFiles(Fixture.DirOf("llama-tiny")))
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void EditConfig(Action<JsonObject> edit)
    {
        var path = Path.Combine(_dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    public static TheoryData<string, string, string> BadConfigValues => new()
    {
        { "architectures", """["GPT2LMHeadModel"]""", "unsupported architecture 'GPT2LMHeadModel'" },
        { "rope_scaling", """{"rope_type": "yarn", "factor": 4.0}""", "unsupported rope type 'yarn'" },
        { "hidden_act", "\"gelu\"", "unsupported hidden_act 'gelu'" },
        { "num_hidden_layers", "0", "num_hidden_layers must be positive" },
        { "num_key_value_heads", "3", "not a multiple of num_key_value_heads 3" },
        { "hidden_size", "\"big\"", "'hidden_size' must be an integer" },
    };

    [Theory, MemberData(nameof(BadConfigValues))]
    public void UnsupportedConfigValuesAreNamed(string key, string value, string message)
    {
        EditConfig(c => c[key] = JsonNode.Parse(value));
        Assert.Contains(message, Assert.Throws<ModelConfigException>(() => LocalModel.Load(_dir)).Message);
    }

    [Fact]
    public void AMistralWindowSlidesEveryLayerWhileLlamaIgnoresTheKeyAsTransformersDoes()
    {
        EditConfig(c => c["sliding_window"] = 128);
        using (var llama = LocalModel.Load(_dir)) Assert.Equal(0, llama.Config.SlidingWindow);
        EditConfig(c => c["architectures"] = JsonNode.Parse("""["MistralForCausalLM"]"""));
        using var mistral = LocalModel.Load(_dir);
        Assert.All(mistral.Config.LayerWindows, w => Assert.Equal(128, w));
        Assert.Equal(mistral.Config.NumLayers, mistral.Config.LayerWindows.Count);
    }

    [Fact]
    public void AMissingConfigIsNamed()
    {
        File.Delete(Path.Combine(_dir, "config.json"));
        Assert.Contains("config.json not found", Assert.Throws<ModelConfigException>(() => LocalModel.Load(_dir)).Message);
    }

    [Fact]
    public void AConfigThatDisagreesWithTheWeightsIsAShapeMismatch()
    {
        EditConfig(c => c["intermediate_size"] = 100);
        var e = Assert.Throws<CheckpointException>(() => LocalModel.Load(_dir));
        Assert.Contains("has shape [172, 64], expected [100, 64]", e.Message);
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        EditConfig(c => c["num_hidden_layers"] = 3);
        var e = Assert.Throws<CheckpointException>(() => LocalModel.Load(_dir));
        Assert.Contains("'model.layers.2.", e.Message);
    }

    [Fact]
    public void MistralWithAWindowAsLongAsTheContextLoads()
    {
        EditConfig(c =>
        {
            c["architectures"] = JsonNode.Parse("""["MistralForCausalLM"]""");
            c["sliding_window"] = 512;
        });
        using var model = LocalModel.Load(_dir);
        Assert.Equal("MistralForCausalLM", model.Config.Architecture);
    }

    [Fact]
    public void Llama3RopeParametersAreReadInBothStyles()
    {
        EditConfig(c => c["rope_scaling"] = JsonNode.Parse(
            """{"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"""));
        var classic = ModelConfig.Load(_dir);
        EditConfig(c =>
        {
            c.Remove("rope_scaling");
            c.Remove("rope_theta");
            c["rope_parameters"] = JsonNode.Parse(
                """{"rope_type": "llama3", "rope_theta": 10000.0, "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}""");
        });
        Assert.Equal(classic.Rope, ModelConfig.Load(_dir).Rope);
        Assert.Equal(32.0, classic.Rope.Factor);
    }
}
