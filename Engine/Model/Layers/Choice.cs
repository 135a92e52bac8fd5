using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// What chooses a layer's heads and neurons for a sparse decode row (Parts/Sparse.torchscript): its learned low-rank
/// predictors, float32 (neurons: hidden → r → F, heads: hidden → r → Hq), or a fixed choice (the first k of a
/// permutation). Empty for a dense shard and for modes that need neither.
/// </summary>
internal sealed record Choice(Tensor NeuronsIn, Tensor NeuronsOut, Tensor HeadsIn, Tensor HeadsOut, Tensor FixedNeurons, Tensor FixedHeads)
    : IScriptRecord
{
    public static readonly Choice None = new(Lin.None, Lin.None, Lin.None, Lin.None, Lin.None, Lin.None);

    public IEnumerable<Tensor> Held =>
        new[] { NeuronsIn, NeuronsOut, HeadsIn, HeadsOut, FixedNeurons, FixedHeads }.Where(t => !ReferenceEquals(t, Lin.None));
}

/// <summary>A step's choice for one layer: per sparse row its neurons [n, k] and heads [n, k], or masks of a rank's share.</summary>
internal sealed record Chosen(Tensor Neurons, Tensor Heads) : IScriptRecord
{
    public static readonly Chosen None = new(Lin.None, Lin.None);
}
