namespace OrleansLlm.Engine.Config;

/// <summary>
/// A mixture-of-experts model's routing: <see cref="Count"/> experts per routed layer, each a gated MLP of
/// <see cref="ExpertSize"/> neurons; a token takes the <see cref="TopK"/> experts its router's softmax ranks first, their
/// weights renormalized over the chosen k where <see cref="NormTopK"/> says so. <see cref="Routed"/> says, per layer,
/// whether it routes (Qwen3-MoE keeps some layers dense: mlp_only_layers, decoder_sparse_step).
/// </summary>
public sealed record ExpertsConfig(int Count, int TopK, bool NormTopK, int ExpertSize, IReadOnlyList<bool> Routed)
{
    public bool Routes(int layer) => Routed[layer];

    public int RoutedLayers => Routed.Count(r => r);
}
