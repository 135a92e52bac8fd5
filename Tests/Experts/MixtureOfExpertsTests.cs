using System.Text.Json;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Deployments;
using OrleansLlm.Grains.Interfaces;
using OrleansLlm.Tests.Engine;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Experts;

/// <summary>
/// Mixture-of-experts models beyond the transformers fixtures: dense layers among routed ones, top-k from 1 to 4, with
/// and without renormalization, against a float64 reference that runs every expert; how a routed layer is sized and
/// split over tensor-parallel ranks; and the router options and deployment forms refused in one line.
/// </summary>
public sealed class MixtureOfExpertsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("olm-moe-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private const int Vocab = 64, Hidden = 32, Heads = 4, KvHeads = 2, HeadDim = 8, Layers = 3, Ffn = 40, ExpertSize = 24;

    private static string Json(string arch, string extra) => $$"""
        {
          "architectures": ["{{arch}}"], "vocab_size": {{Vocab}}, "hidden_size": {{Hidden}}, "intermediate_size": {{Ffn}},
          "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}}, "num_key_value_heads": {{KvHeads}},
          "head_dim": {{HeadDim}}, "rms_norm_eps": 1e-6, "max_position_embeddings": 256, "rope_theta": 10000.0,
          "tie_word_embeddings": false, {{extra}}
        }
        """;

    public static TheoryData<string, string> Models => new()
    {
        // Qwen3-MoE: layer 1 dense (mlp_only_layers), top-4 of 8 without renormalization.
        { "Qwen3MoeForCausalLM", $"\"num_experts\": 8, \"num_experts_per_tok\": 4, \"moe_intermediate_size\": {ExpertSize}, \"norm_topk_prob\": false, \"mlp_only_layers\": [1], \"decoder_sparse_step\": 1" },
        // Qwen3-MoE: only layer 1 routes (decoder_sparse_step 2), top-2 renormalized.
        { "Qwen3MoeForCausalLM", $"\"num_experts\": 8, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": {ExpertSize}, \"norm_topk_prob\": true, \"decoder_sparse_step\": 2" },
        // Mixtral, top-1 of 4 (renormalized over one: weight 1).
        { "MixtralForCausalLM", "\"num_local_experts\": 4, \"num_experts_per_tok\": 1" },
    };

    /// <summary>A random checkpoint of the config with the tensor names the Hub ships, written here (not by the engine).</summary>
    private string Write(string arch, string extra)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, Guid.NewGuid().ToString("N"))).FullName;
        var json = Json(arch, extra);
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        var c = ModelConfig.FromJson(json);
        var random = new Random(11);
        var tensors = new Dictionary<string, (long[], float[])>();
        void Add(string name, long[] shape, float around = 0, float spread = 0.3f) =>
            tensors[name] = (shape, Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b))
                .Select(_ => around + spread * (float)(random.NextDouble() * 2 - 1)).ToArray());
        Add("model.embed_tokens.weight", [Vocab, Hidden], spread: 1);
        var mixtral = arch == "MixtralForCausalLM";
        for (var l = 0; l < Layers; l++)
        {
            var p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", [Hidden], 1, 0.1f);
            Add(p + "post_attention_layernorm.weight", [Hidden], 1, 0.1f);
            Add(p + "self_attn.q_proj.weight", [Heads * HeadDim, Hidden]);
            Add(p + "self_attn.k_proj.weight", [KvHeads * HeadDim, Hidden]);
            Add(p + "self_attn.v_proj.weight", [KvHeads * HeadDim, Hidden]);
            Add(p + "self_attn.o_proj.weight", [Hidden, Heads * HeadDim]);
            if (!mixtral)
            {
                Add(p + "self_attn.q_norm.weight", [HeadDim], 1, 0.1f);
                Add(p + "self_attn.k_norm.weight", [HeadDim], 1, 0.1f);
            }
            if (!c.Routes(l))
            {
                Add(p + "mlp.gate_proj.weight", [Ffn, Hidden]);
                Add(p + "mlp.up_proj.weight", [Ffn, Hidden]);
                Add(p + "mlp.down_proj.weight", [Hidden, Ffn]);
                continue;
            }
            var block = mixtral ? "block_sparse_moe" : "mlp";
            var (gate, up, down) = mixtral ? ("w1", "w3", "w2") : ("gate_proj", "up_proj", "down_proj");
            var f = c.Experts!.ExpertSize;
            Add($"{p}{block}.gate.weight", [c.Experts.Count, Hidden], spread: 1);
            for (var e = 0; e < c.Experts.Count; e++)
            {
                Add($"{p}{block}.experts.{e}.{gate}.weight", [f, Hidden]);
                Add($"{p}{block}.experts.{e}.{up}.weight", [f, Hidden]);
                Add($"{p}{block}.experts.{e}.{down}.weight", [Hidden, f]);
            }
        }
        Add("model.norm.weight", [Hidden], 1, 0.1f);
        Add("lm_head.weight", [Vocab, Hidden]);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        return dir;
    }

    private static readonly long[] Ids = [1, 7, 22, 63, 5, 5, 40, 12, 9, 31, 2, 50];

    [Theory, MemberData(nameof(Models))]
    public void RoutedAndDenseLayersEqualTheFloat64ReferenceOfEveryExpert(string arch, string extra)
    {
        var dir = Write(arch, extra);
        var c = ModelConfig.Load(dir);
        using var checkpoint = Checkpoint.Open(dir);
        using var model = ShardModel.Load(c, ModelSlice.Full(c), new ShardOptions(), checkpoint);
        using var cache = model.NewCache(Ids.Length);
        using var ids = tensor(Ids);
        using var logits = model.Logits(model.ForwardLayers(model.Embed(ids), cache));
        using var want = MoeReference.Logits(dir, Ids);
        Assert.InRange(Fixture.MaxAbsDiff(logits, want.to(ScalarType.Float32)), 0, 1e-4);
    }

    [Fact]
    public void RoutedLayersFollowMlpOnlyLayersAndTheSparseStep()
    {
        var mixed = ModelConfig.FromJson(Json("Qwen3MoeForCausalLM", "\"num_experts\": 8, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 24, \"mlp_only_layers\": [0], \"decoder_sparse_step\": 1"));
        Assert.Equal([false, true, true], mixed.Experts!.Routed);
        var stepped = ModelConfig.FromJson(Json("Qwen3MoeForCausalLM", "\"num_experts\": 8, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 24, \"decoder_sparse_step\": 2"));
        Assert.Equal([false, true, false], stepped.Experts!.Routed);
        Assert.False(stepped.Experts.NormTopK);
    }

    [Fact]
    public void TensorParallelRanksTileEveryExpertAndAreSizedByTheirShare()
    {
        var c = ModelConfig.FromJson(Json("Qwen3MoeForCausalLM", "\"num_experts\": 8, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 24, \"mlp_only_layers\": [1]"));
        var whole = ModelSlice.Full(c);
        var ranks = new[] { (0, 13), (13, 27), (27, Ffn) }.Select(r => whole with { FfnStart = r.Item1, FfnEnd = r.Item2 }).ToArray();
        var ranges = ranks.Select(s => s.ExpertRange(c)).ToArray();
        Assert.Equal(0, ranges[0].Start);
        Assert.Equal(ExpertSize, ranges[^1].End);
        for (var i = 1; i < ranges.Length; i++) Assert.Equal(ranges[i - 1].End, ranges[i].Start);
        // Their MLPs' bytes add up to the whole model's: 2 routed layers of 8 experts (and their routers on every rank),
        // and 1 dense MLP.
        long routed = 8 * 3L * Hidden * ExpertSize, routers = 8L * Hidden, dense = 3L * Hidden * Ffn;
        Assert.Equal(4 * (2 * routed + 2 * routers + dense), MlpBytes(c, whole));
        Assert.Equal(4 * (2 * routed + 2 * ranks.Length * routers + dense), ranks.Sum(s => MlpBytes(c, s)));
    }

    /// <summary>A slice's float32 MLP bytes: its weights less the embedding, head, attention and norms.</summary>
    private static long MlpBytes(ModelConfig c, ModelSlice s) =>
        ModelSizing.WeightBytes(c, s, ScalarType.Float32) - ModelSizing.WeightBytes(c, s with { LayerStart = 0, LayerEnd = 0 }, ScalarType.Float32)
        - 4 * Layers * (2L * Hidden * HeadDim * (Heads + KvHeads) + 2 * Hidden);

    [Theory]
    [InlineData("\"n_shared_experts\": 2", "shared experts (n_shared_experts = 2)")]
    [InlineData("\"shared_expert_intermediate_size\": 64", "shared experts (shared_expert_intermediate_size = 64)")]
    [InlineData("\"n_group\": 8, \"topk_group\": 4", "grouped top-k routing (n_group = 8, topk_group = 4)")]
    [InlineData("\"topk_method\": \"noaux_tc\"", "bias-corrected routing (topk_method = noaux_tc)")]
    [InlineData("\"scoring_func\": \"sigmoid\"", "router scoring_func = sigmoid")]
    [InlineData("\"routed_scaling_factor\": 2.5", "routed_scaling_factor = 2.5")]
    public void RouterOptionsNotImplementedAreRefusedByName(string option, string named)
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.FromJson(Json("MixtralForCausalLM", $"\"num_local_experts\": 4, \"num_experts_per_tok\": 2, {option}")));
        Assert.Contains(named, e.Message);
        Assert.Contains("is not implemented", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TopKBeyondTheExpertsIsRefused()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.FromJson(Json("MixtralForCausalLM", "\"num_local_experts\": 4, \"num_experts_per_tok\": 5")));
        Assert.Contains("num_experts_per_tok must be between 1 and the 4 experts, got 5", e.Message);
    }

    public static TheoryData<string, string> RefusedForms => new()
    {
        { "sparse", "--sparsity is not available for mixtral" },
        { "window", "--memory-window is not available for mixtral" },
        { "static", "int8-static are not available for mixtral" },
    };

    [Theory, MemberData(nameof(RefusedForms))]
    public void FormsThatReworkTheMlpAreRefusedBeforeAnyWeightIsRead(string form, string message)
    {
        var c = new Fixture("families/mixtral-tiny").Config;
        var spec = new DeploySpec { Model = "m" };
        spec = form switch
        {
            "sparse" => spec with { Sparsity = new SparsitySettings { Sparsity = 0.5, Choice = SparsityChoice.Fixed } },
            "window" => spec with { Weights = new WeightSettings { MemoryWindow = 2 } },
            _ => spec with { Weights = new WeightSettings { Quantize = Quantization.Int8Static } },
        };
        var silos = new[] { new SiloInventory("s0", [new DeviceInfo("cpu", 8L << 30, 0)]) };
        var e = Assert.Throws<OlmException>(() => Planner.Plan("d", spec, c, silos));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AMixtureThatDoesNotFitIsRefusedRatherThanWindowed()
    {
        var c = new Fixture("families/mixtral-tiny").Config;
        var silos = new[] { new SiloInventory("s0", [new DeviceInfo("cpu", 200L << 10, 0)]) };
        var e = Assert.Throws<OlmException>(() => Planner.Plan("d", new DeploySpec { Model = "m" }, c, silos));
        Assert.Contains("weight windows do not stream a mixture of experts yet", e.Message);
    }
}
