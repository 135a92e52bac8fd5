using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Model.Layers;
using OrleansLlm.Engine.Model.Script;
using OrleansLlm.Engine.Quantization;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Memory;

/// <summary>
/// A shard's blocks read from a weight source (the tensors and slices its family names), optionally quantized to int8
/// as they arrive. Disposing it disposes the source when it was handed over.
/// </summary>
public sealed class SourceBlockLoader(IWeightSource source, ModelConfig config, ModelSlice slice, ScalarType dtype, Device device,
    bool int8, bool ownsSource) : IBlockLoader
{
    public int Count => 2 * slice.LayerCount;

    public BlockWeights Load(int block, BlockWeights? reuse = null)
    {
        if (block < 0 || block >= Count) throw new ArgumentOutOfRangeException(nameof(block), $"block {block} of {Count}");
        var reader = new LayerReader(source, dtype, device);
        var layer = slice.LayerStart + block / 2;
        var family = config.Family;
        if (reuse is not null && !int8)
        {
            // Float blocks of a kind have the same shapes: the freed one's buffers take the new weights, no allocation.
            try
            {
                if (reuse.Half is Attn a)
                {
                    reader.Fill(family.Attention(config, slice, layer), a);
                    return reuse.Now(block, a with { Window = config.WindowOf(layer), Rope = config.RopeOf(layer) });
                }
                reader.Fill(family.Mlp(config, slice, layer), (Mlp)reuse.Half);
                return reuse.Now(block, reuse.Half);
            }
            catch { reuse.Dispose(); throw; }
        }
        reuse?.Dispose();
        using var scope = NewDisposeScope();
        IScriptRecord half = BlockWeights.IsAttention(block)
            ? LayerHalves.Quantized(reader.Attention(family.Attention(config, slice, layer), config.WindowOf(layer), config.RopeOf(layer)), int8)
            : LayerHalves.Quantized(reader.Mlp(family.Mlp(config, slice, layer), config.ActivationKind), int8);
        var owned = LayerHalves.Held(half).ToArray();
        foreach (var t in owned) t.DetachFromDisposeScope(); // the block owns them, whatever scope its loader runs in
        return new BlockWeights(block, half, owned);
    }

    public void Dispose()
    {
        if (ownsSource) source.Dispose();
    }
}
