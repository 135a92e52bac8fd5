namespace OrleansLlm.Engine.Memory;

/// <summary>Every block of the shard held at once (loaded up front): what an int8 shard with room for its layers uses.</summary>
public sealed class ResidentBlocks : IBlockStore
{
    private readonly BlockWeights[] _blocks;

    public ResidentBlocks(IBlockLoader loader, IProgress<double>? progress = null)
    {
        _blocks = new BlockWeights[loader.Count];
        try
        {
            for (var i = 0; i < _blocks.Length; i++)
            {
                _blocks[i] = loader.Load(i);
                progress?.Report((i + 1.0) / (_blocks.Length + 1));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Count => _blocks.Length;

    public BlockWeights Acquire(int block) => _blocks[block];

    public void Release(int block) { }

    public long HeldBytes => _blocks.Sum(b => b.Bytes);

    public WindowStats Stats => WindowStats.Resident(_blocks.Length);

    /// <summary>Every block's kernel tensors in order (14 a layer), for one call over the whole stack.</summary>
    public TorchSharp.torch.Tensor[] KernelWeights() => _blocks.SelectMany(b => b.Kernel).ToArray();

    public void Dispose()
    {
        foreach (var b in _blocks) b?.Dispose();
    }
}
