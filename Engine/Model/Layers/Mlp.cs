using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// A layer's MLP half (TPI-LLM's second block) as a shard holds it: the norm before it; gate and up of its FFN columns
/// fused in one linear; down_proj's matching columns; the norm after the MLP output (Gemma; empty otherwise). A sparse
/// shard holds its neurons laid out instead (<see cref="Neurons"/> [F, 3h]: each neuron's gate row, up row and down
/// column side by side; gate-up and down then empty) and the |act(gate)| threshold. <see cref="Activation"/>: 0 SiLU,
/// 1 GELU (tanh). A routed layer (mixture of experts) holds its <see cref="Router"/> [experts, hidden] (empty
/// otherwise), and gate-up and down stack its experts: expert e's gate and up rows at e·2n (n its neurons on this shard),
/// its down rows at e·hidden.
/// </summary>
internal sealed record Mlp(Tensor InNorm, Lin GateUp, Lin Down, Tensor PostNorm, Tensor Neurons, Tensor NeuronThreshold, long Activation,
    Tensor Router) : IScriptRecord
{
    public IEnumerable<Tensor> Held =>
        new[] { InNorm, PostNorm, Neurons, NeuronThreshold, Router }.Where(t => !ReferenceEquals(t, Lin.None)).Concat(GateUp.Held).Concat(Down.Held);
}
