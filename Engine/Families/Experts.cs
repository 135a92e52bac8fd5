using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;

namespace OrleansLlm.Engine.Families;

/// <summary>
/// What mixture-of-experts families share: their routing read from config.json (refusing the router options the
/// routed MLP part does not implement, by name, before any weight is read), and the checkpoint names of a routed layer
/// in the layout the Hub ships (one tensor per expert per projection), cut to a shard's slice of each expert's neurons.
/// </summary>
internal static class Experts
{
    /// <summary>The routing of a family whose layers route where <paramref name="routes"/> says.</summary>
    public static ExpertsConfig Read(JsonConfig json, int layers, int expertSize, bool normTopK, Func<int, bool> routes)
    {
        Refuse(json);
        var count = json.IntOr("num_local_experts", json.IntOr("num_experts", 0));
        var topK = json.Int("num_experts_per_tok");
        if (count < 1) throw new ModelConfigException($"{json.Source}: a mixture of experts needs num_local_experts (or num_experts) of 1 or more");
        if (topK < 1 || topK > count)
            throw new ModelConfigException($"{json.Source}: num_experts_per_tok must be between 1 and the {count} experts, got {topK}");
        if (expertSize < 1) throw new ModelConfigException($"{json.Source}: the experts' intermediate size must be positive, got {expertSize}");
        return new ExpertsConfig(count, topK, normTopK, expertSize, Enumerable.Range(0, layers).Select(routes).ToArray());
    }

    /// <summary>Router options of other MoE designs (DeepSeek's, Qwen2-MoE's), named in the refusal.</summary>
    private static void Refuse(JsonConfig json)
    {
        foreach (var key in new[] { "n_shared_experts", "num_shared_experts", "shared_expert_intermediate_size" })
            if (json.Has(key) && json.DoubleOr(key, 0) > 0)
                throw Unsupported(json, $"shared experts ({key} = {json.DoubleOr(key, 0)})");
        if (json.IntOr("n_group", 1) > 1 || json.IntOr("topk_group", 1) > 1)
            throw Unsupported(json, $"grouped top-k routing (n_group = {json.IntOr("n_group", 1)}, topk_group = {json.IntOr("topk_group", 1)})");
        if (json.StringOr("topk_method", null) is { } method && method != "greedy")
            throw Unsupported(json, method == "noaux_tc" ? "bias-corrected routing (topk_method = noaux_tc)" : $"topk_method = {method}");
        if (json.StringOr("scoring_func", null) is { } scoring && scoring != "softmax")
            throw Unsupported(json, $"router scoring_func = {scoring} (only softmax)");
        if (json.DoubleOr("routed_scaling_factor", 1.0) != 1.0)
            throw Unsupported(json, $"routed_scaling_factor = {json.DoubleOr("routed_scaling_factor", 1.0)}");
    }

    private static ModelConfigException Unsupported(JsonConfig json, string option) =>
        new($"{json.Source}: {option} is not implemented (supported: softmax top-k routing, optionally renormalized)");

    /// <summary>
    /// A routed layer's MLP half: its norm, the router (every expert's row), and each expert's gate and up rows of the
    /// slice's neurons then its down_proj's matching columns, stacked expert after expert.
    /// </summary>
    public static MlpRecipe Mlp(ModelConfig c, ModelSlice s, int layer, string block, (string Gate, string Up, string Down) names)
    {
        var p = $"model.layers.{layer}.";
        var e = c.Experts!;
        var (h, f) = ((long)c.HiddenSize, (long)e.ExpertSize);
        var (start, end) = s.ExpertRange(c);
        var neurons = new Range(start, end);
        var experts = Enumerable.Range(0, e.Count).Select(x => $"{p}{block}.experts.{x}.").ToArray();
        return new MlpRecipe(
            [new(p + "post_attention_layernorm.weight", [h], Shift: c.NormWeightOffset)],
            experts.SelectMany(x => new Piece[] { new(x + names.Gate + ".weight", [f, h], neurons), new(x + names.Up + ".weight", [f, h], neurons) }).ToArray(),
            null,
            experts.Select(x => new Piece(x + names.Down + ".weight", [h, f], Cols: neurons)).ToArray(),
            null,
            null,
            [new(p + block + ".gate.weight", [e.Count, h])]);
    }
}
