using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using static OrleansLlm.Tests.Engine.Float64Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OrleansLlm.Tests.Experts;

/// <summary>
/// A mixture-of-experts model (Mixtral or Qwen3-MoE names) over one sequence in float64, written apart from the engine:
/// every expert computed for every token, the router's softmax top-k (renormalized where the config says) picking
/// which of them count and with what weight; a layer the config keeps dense runs its plain MLP.
/// </summary>
public static class MoeReference
{
    public static Tensor Logits(string dir, long[] ids)
    {
        using var scope = NewDisposeScope();
        var c = ModelConfig.Load(dir);
        var e = c.Experts!;
        var mixtral = c.Architecture == "MixtralForCausalLM";
        using var file = new SafeTensorsFile(Path.Combine(dir, "model.safetensors"));
        Tensor W(string name) => file.Read(name).to(ScalarType.Float64);
        Tensor Lin(Tensor x, string name) => x.matmul(W(name + ".weight").t());
        var h = W("model.embed_tokens.weight").index_select(0, tensor(ids));
        using var rope = new RotaryEmbedding(c, CPU);
        var (cos, sin) = rope.Tables(arange(ids.Length, ScalarType.Int64), ScalarType.Float64);
        var s = ids.Length;
        for (var l = 0; l < c.NumLayers; l++)
        {
            var p = $"model.layers.{l}.";
            var a = Norm(h, W(p + "input_layernorm.weight"), c.RmsNormEps);
            Tensor Proj(string name, int heads)
            {
                var x = Lin(a, p + "self_attn." + name);
                if (mixtral) return x;
                var norm = W(p + "self_attn." + name[0] + "_norm.weight");
                return Norm(x.view(s * heads, c.HeadDim), norm, c.RmsNormEps).view(s, heads * c.HeadDim);
            }
            var q = Heads(Proj("q_proj", c.NumHeads), c.NumHeads, c.HeadDim, cos, sin);
            var k = Heads(Proj("k_proj", c.NumKvHeads), c.NumKvHeads, c.HeadDim, cos, sin);
            var v = Lin(a, p + "self_attn.v_proj").view(s, c.NumKvHeads, c.HeadDim).transpose(0, 1);
            h = h.add(Lin(Attention(q, k, v, c.GroupSize), p + "self_attn.o_proj"));
            var m = Norm(h, W(p + "post_attention_layernorm.weight"), c.RmsNormEps);
            h = h.add(c.Routes(l) ? Routed(m, p, e, mixtral, W, Lin) : Lin(F.silu(Lin(m, p + "mlp.gate_proj")).mul(Lin(m, p + "mlp.up_proj")), p + "mlp.down_proj"));
        }
        var head = c.TieWordEmbeddings ? W("model.embed_tokens.weight") : W("lm_head.weight");
        return Norm(h, W("model.norm.weight"), c.RmsNormEps).matmul(head.t()).MoveToOuterDisposeScope();
    }

    private static Tensor Routed(Tensor m, string p, ExpertsConfig e, bool mixtral, Func<string, Tensor> w, Func<Tensor, string, Tensor> lin)
    {
        var block = mixtral ? "block_sparse_moe" : "mlp";
        var (gate, up, down) = mixtral ? ("w1", "w3", "w2") : ("gate_proj", "up_proj", "down_proj");
        var probs = m.matmul(w($"{p}{block}.gate.weight").t()).softmax(1);                  // [S, E]
        var (top, chosen) = probs.topk(e.TopK, 1);
        if (e.NormTopK) top = top.div(top.sum([1], keepdim: true));
        // Weight of every expert for every token: zero where it was not chosen.
        var weights = zeros_like(probs).scatter(1, chosen, top);
        var outputs = Enumerable.Range(0, e.Count).Select(x =>
        {
            var at = $"{p}{block}.experts.{x}.";
            return lin(F.silu(lin(m, at + gate)).mul(lin(m, at + up)), at + down);   // [S, H]
        }).ToArray();
        return stack(outputs, 1).mul(weights.unsqueeze(2)).sum([1]);
    }
}
