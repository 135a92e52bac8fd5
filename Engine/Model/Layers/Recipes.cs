namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// A piece of a checkpoint tensor: its rows (a fused tensor stacks several) or its columns, read as (w + Shift)·Scale
/// in float32 before the shard's dtype: Gemma's norms store w for (1 + w), and a family's attention scale folds into
/// its query rows.
/// </summary>
internal sealed record Piece(string Name, long[] Shape, Range? Rows = null, Range? Cols = null, double Shift = 0, double Scale = 1)
{
    public bool Transforms => Shift != 0 || Scale != 1;
}

/// <summary>What each tensor of a shard's attention half (<see cref="Attn"/>) is made of; null where the family has none.</summary>
internal sealed record AttnRecipe(Piece[] InNorm, Piece[] Qkv, Piece[]? QkvBias, Piece[]? QNorm, Piece[]? KNorm, Piece[] O, Piece[]? OBias,
    Piece[]? PostNorm);

/// <summary>
/// What each tensor of a shard's MLP half (<see cref="Mlp"/>) is made of; null where the family has none. A routed layer
/// (mixture of experts) names its router, and its experts' gate/up rows and down rows stacked expert after expert.
/// </summary>
internal sealed record MlpRecipe(Piece[] InNorm, Piece[] GateUp, Piece[]? GateUpBias, Piece[] Down, Piece[]? DownBias, Piece[]? PostNorm,
    Piece[]? Router = null);
