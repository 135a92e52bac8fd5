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

    public BlockWeights Load(int block)
    {
        if (block < 0 || block >= Count) throw new ArgumentOutOfRangeException(nameof(block), $"block {block} of {Count}");
        using var scope = NewDisposeScope();
        var reader = new SliceReader(source, dtype, device);
        var layer = slice.LayerStart + block / 2;
        var half = BlockWeights.IsAttention(block)
            ? LayerWeights.ReadAttention(reader, config, slice, layer)
            : LayerWeights.ReadMlp(reader, config, slice, layer);
        var (inW, inS) = Weight(half.In);
        var (outW, outS) = Weight(half.Out);
        Tensor[] kernel = [half.Norm, inW, inS, Kernels.Bias(half.InBias), outW, outS, Kernels.Bias(half.OutBias)];
        var owned = kernel.Where(t => !ReferenceEquals(t, Kernels.NoBias)).ToArray();
        scope.MoveToOuter(owned);
        return new BlockWeights(block, kernel, owned);
    }

    /// <summary>The weight as the kernels take it: itself with no scale, or int8 rows and their scales.</summary>
    private (Tensor W, Tensor Scale) Weight(Tensor w) => int8 ? Int8Weights.Quantize(w) : (w, Kernels.NoBias);

    public void Dispose()
    {
        if (ownsSource) source.Dispose();
    }
}
