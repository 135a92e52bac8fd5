using OrleansLlm.Engine.Model.Script;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// What the layer math needs of the model besides its weights: the slice's head counts, the head size, the norms'
/// epsilon, the attention's scale and soft cap (0: none), LLM.int8()'s outlier threshold (inf: none), and for a sparse
/// shard its mode, how many neurons and heads a row keeps, the whole layer's counts and the rank's share of them
/// (<see cref="HeadStart"/>..<see cref="HeadEnd"/>, <see cref="NeuronStart"/>..<see cref="NeuronEnd"/>), and how many
/// neuron rows a CPU gathers at a time; on a tensor-parallel rank that sums on its devices, its NCCL clique and rank;
/// for a mixture of experts, the experts a token takes and whether their weights are renormalized over them.
/// </summary>
internal sealed record Shape(long QHeads, long KvHeads, long HeadDim, double Eps, double Scale, double Softcap, double Int8Threshold,
    long SparseMode, long KeepNeurons, long KeepHeads, long Neurons, long Heads, long NeuronStart, long NeuronEnd, long HeadStart,
    long HeadEnd, long Chunk, long Clique, long Rank, long TopK, bool NormTopK) : IScriptConstant;
