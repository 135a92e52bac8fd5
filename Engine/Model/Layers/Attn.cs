using OrleansLlm.Engine.Model.Script;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model.Layers;

/// <summary>
/// A layer's attention half (TPI-LLM's first block) as a shard holds it: the input norm; q, k and v of its heads
/// fused in one linear; the family's q/k norms over each head (Qwen3, Gemma 3; empty otherwise); o_proj's columns of
/// its heads; the norm after the attention output (Gemma; empty otherwise). <see cref="Window"/> is the layer's
/// sliding window (0: every earlier key), <see cref="Rope"/> which RoPE table it rotates with (0 global, 1 local),
/// <see cref="HeadThreshold"/> the sparse decode's head-norm threshold (empty unless sparse).
/// </summary>
internal sealed record Attn(Tensor InNorm, Lin Qkv, Tensor QNorm, Tensor KNorm, Lin O, Tensor PostNorm, Tensor HeadThreshold,
    long Window, long Rope) : IScriptRecord
{
    public IEnumerable<Tensor> Held =>
        new[] { InNorm, QNorm, KNorm, PostNorm, HeadThreshold }.Where(t => !ReferenceEquals(t, Lin.None)).Concat(Qkv.Held).Concat(O.Held);
}
