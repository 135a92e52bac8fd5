using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>Where a shard's weights come from: a checkpoint on disk, or random weights of a real shape.</summary>
public interface IWeightSource : IDisposable
{
    /// <summary>Reads <paramref name="name"/> (or a row/column range of it) as a CPU tensor after checking its shape.</summary>
    Tensor Read(string name, long[] expectedShape, Range? rows = null, Range? cols = null);
}
