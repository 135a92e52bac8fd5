using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>One decoder layer's weights as a shard holds them, by name: its two halves and, when sparse, what chooses.</summary>
internal sealed record Layer(Attn Attn, Mlp Mlp, Choice Choice) : IScriptRecord
{
    public IEnumerable<Tensor> Held => Attn.Held.Concat(Mlp.Held).Concat(Choice.Held);
}

/// <summary>A layer's KV cache in the shard's paged pool: keys and values [KV, slots, D].</summary>
internal sealed record Kv(Tensor Keys, Tensor Values) : IScriptRecord;
