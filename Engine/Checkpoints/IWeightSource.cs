using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>Where a shard's weights come from: a checkpoint on disk, or random weights of a real shape.</summary>
public interface IWeightSource : IDisposable
{
    /// <summary>Reads <paramref name="name"/> (or a row/column range of it) as a CPU tensor after checking its shape.</summary>
    Tensor Read(string name, long[] expectedShape, Range? rows = null, Range? cols = null);

    /// <summary>
    /// Reads the same into <paramref name="destination"/> (its shape, any dtype and device), so a weight window can
    /// refill the buffers of a block it freed; a source that can read straight into them (no temporary) says so by
    /// overriding this.
    /// </summary>
    void ReadInto(string name, long[] expectedShape, Tensor destination, Range? rows = null, Range? cols = null)
    {
        using var t = Read(name, expectedShape, rows, cols);
        if (!t.shape.SequenceEqual(destination.shape))
            throw new CheckpointException($"tensor '{name}' slice [{string.Join(", ", t.shape)}] does not fit a buffer of [{string.Join(", ", destination.shape)}]");
        destination.copy_(t);
    }
}
