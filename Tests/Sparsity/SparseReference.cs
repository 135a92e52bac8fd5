using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using static OrleansLlm.Tests.Engine.Float64Layers;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OrleansLlm.Tests.Sparsity;

/// <summary>
/// Contextual sparsity in float64, written apart from the engine's gathers: the whole sequence through the model, where
/// a row from <c>sparseFrom</c> on keeps only its chosen heads' outputs (the others' columns of o_proj's input are
/// zeroed) and only its chosen neurons (the others' SiLU(gate)·up zeroed); K and V stay dense for every row.
/// </summary>
public static class SparseReference
{
    /// <summary>Chosen heads and neurons of a layer for one row: masks [Hq] and [F] (true: kept).</summary>
    public delegate (bool[] Heads, bool[] Neurons) Choice(int layer, int row, Tensor attentionOut, Tensor gate);

    public static Tensor Logits(string dir, long[] ids, int sparseFrom, Choice choose)
    {
        using var scope = NewDisposeScope();
        var c = ModelConfig.Load(dir);
        using var file = new SafeTensorsFile(Path.Combine(dir, "model.safetensors"));
        Tensor W(string name) => file.Read(name).to(ScalarType.Float64);
        Tensor Lin(Tensor x, string p, bool bias = false) =>
            bias && c.QkvBias ? F.linear(x, W(p + ".weight"), W(p + ".bias")) : F.linear(x, W(p + ".weight"));
        var s = ids.Length;
        var h = W("model.embed_tokens.weight").index_select(0, tensor(ids));
        using var rope = new RotaryEmbedding(c, CPU);
        var (cos, sin) = rope.Tables(arange(s, ScalarType.Int64), ScalarType.Float64);
        for (var l = 0; l < c.NumLayers; l++)
        {
            var p = $"model.layers.{l}.";
            var a = Norm(h, W(p + "input_layernorm.weight"), c.RmsNormEps);
            var q = Heads(Lin(a, p + "self_attn.q_proj", true), c.NumHeads, c.HeadDim, cos, sin);
            var k = Heads(Lin(a, p + "self_attn.k_proj", true), c.NumKvHeads, c.HeadDim, cos, sin);
            var v = Lin(a, p + "self_attn.v_proj", true).view(s, c.NumKvHeads, c.HeadDim).transpose(0, 1);
            var att = Attention(q, k, v, c.GroupSize);                                   // [S, Hq·D]
            var m = Norm(h, W(p + "post_attention_layernorm.weight"), c.RmsNormEps);
            var headMask = ones(s, c.NumHeads, dtype: ScalarType.Float64);
            var neuronMask = ones(s, c.IntermediateSize, dtype: ScalarType.Float64);
            var gateAll = Lin(m, p + "mlp.gate_proj");
            for (var r = sparseFrom; r < s; r++)
            {
                var (heads, neurons) = choose(l, r, att[r], gateAll[r]);
                headMask[r] = tensor(heads.Select(b => b ? 1.0 : 0.0).ToArray());
                neuronMask[r] = tensor(neurons.Select(b => b ? 1.0 : 0.0).ToArray());
            }
            att = att.view(s, c.NumHeads, c.HeadDim).mul(headMask.unsqueeze(2)).view(s, c.NumHeads * c.HeadDim);
            h = h.add(c.OutputBias ? F.linear(att, W(p + "self_attn.o_proj.weight"), W(p + "self_attn.o_proj.bias")) : F.linear(att, W(p + "self_attn.o_proj.weight")));
            // The MLP's input is the residual after attention: recompute the gate from it.
            m = Norm(h, W(p + "post_attention_layernorm.weight"), c.RmsNormEps);
            var gate = Lin(m, p + "mlp.gate_proj");
            for (var r = sparseFrom; r < s; r++)
                neuronMask[r] = tensor(choose(l, r, att[r], gate[r]).Neurons.Select(b => b ? 1.0 : 0.0).ToArray());
            h = h.add(Lin(F.silu(gate).mul(Lin(m, p + "mlp.up_proj")).mul(neuronMask), p + "mlp.down_proj"));
        }
        var head = c.TieWordEmbeddings ? W("model.embed_tokens.weight") : W("lm_head.weight");
        return Norm(h, W("model.norm.weight"), c.RmsNormEps).matmul(head.t()).MoveToOuterDisposeScope();
    }
}
