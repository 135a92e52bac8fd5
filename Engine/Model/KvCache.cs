using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>The KV cache of one sequence over the layers of a shard.</summary>
public sealed class KvCache : IDisposable
{
    private readonly LayerKvCache[] _layers;

    public KvCache(int layers, long kvHeads, long headDim, long capacity, ScalarType dtype, Device device)
    {
        _layers = new LayerKvCache[layers];
        for (var i = 0; i < layers; i++) _layers[i] = new LayerKvCache(kvHeads, headDim, capacity, dtype, device);
    }

    /// <summary>The cache of the i-th layer this shard holds (0 = its first layer).</summary>
    public LayerKvCache this[int i] => _layers[i];

    public int LayerCount => _layers.Length;
    public long Length => _layers.Length == 0 ? 0 : _layers[0].Length;
    public long Bytes => _layers.Sum(l => l.Bytes);

    public void Truncate(long length)
    {
        foreach (var l in _layers) l.Truncate(length);
    }

    /// <summary>Bytes a cache of this shape needs, to admit or refuse a request before allocating.</summary>
    public static long BytesFor(int layers, long kvHeads, long headDim, long capacity, ScalarType dtype) =>
        layers * (2 * kvHeads * Math.Max(1, capacity) * headDim * ModelSizing.ElementSize(dtype) + Math.Max(1, capacity) * 8);

    public void Dispose()
    {
        foreach (var l in _layers) l.Dispose();
    }
}
