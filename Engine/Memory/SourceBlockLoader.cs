using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Quantization;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Memory;

/// <summary>
/// A shard's blocks read from a weight source (the same tensors and slices a resident layer reads), optionally
/// quantized to int8 as they arrive. Disposing it disposes the source when it was handed over.
/// </summary>
public sealed class SourceBlockLoader(IWeightSource source, ModelConfig config, ModelSlice slice, ScalarType dtype, Device device,
    bool int8, bool ownsSource) : IBlockLoader
{
    public int Count => 2 * slice.LayerCount;

    public BlockWeights Load(int block, BlockWeights? reuse = null)
    {
        if (block < 0 || block >= Count) throw new ArgumentOutOfRangeException(nameof(block), $"block {block} of {Count}");
        var reader = new SliceReader(source, dtype, device);
        var layer = slice.LayerStart + block / 2;
        var recipe = BlockWeights.IsAttention(block) ? LayerWeights.Attention(config, slice, layer) : LayerWeights.Mlp(config, slice, layer);
        if (reuse is not null && !int8)
        {
            // Float blocks of a kind have the same shapes: the freed one's buffers take the new weights, no allocation.
            try { reader.Fill(recipe, Half(reuse)); }
            catch { reuse.Dispose(); throw; }
            return reuse.Now(block);
        }
        reuse?.Dispose();
        using var scope = NewDisposeScope();
        var half = reader.Read(recipe);
        var (inW, inS) = Weight(half.In);
        var (outW, outS) = Weight(half.Out);
        Tensor[] kernel = [half.Norm, inW, inS, Kernels.Bias(half.InBias), outW, outS, Kernels.Bias(half.OutBias)];
        var owned = kernel.Where(t => !ReferenceEquals(t, Kernels.NoBias)).ToArray();
        foreach (var t in owned) t.DetachFromDisposeScope(); // the block owns them, whatever scope its loader runs in
        return new BlockWeights(block, kernel, owned);
    }

    private static LayerWeights.Half Half(BlockWeights b) =>
        new(b.Kernel[0], b.Kernel[1], b.Kernel[3].numel() == 0 ? null : b.Kernel[3], b.Kernel[4], b.Kernel[6].numel() == 0 ? null : b.Kernel[6]);

    /// <summary>The weight as the kernels take it: itself with no scale, or int8 rows and their scales.</summary>
    private (Tensor W, Tensor Scale) Weight(Tensor w) => int8 ? Int8Weights.Quantize(w) : (w, Kernels.NoBias);

    public void Dispose()
    {
        if (ownsSource) source.Dispose();
    }
}
