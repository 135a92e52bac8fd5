using System.Text.Json;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Checkpoints;

/// <summary>
/// The weights of a Hugging Face model folder: one model.safetensors, or the shards named by
/// model.safetensors.index.json. Files are opened (memory-mapped) on first use.
/// </summary>
public sealed class Checkpoint : IWeightSource, IDisposable
{
    private readonly string _dir;
    private readonly Dictionary<string, string> _fileOf;
    private readonly Dictionary<string, SafeTensorsFile> _open = new();
    private readonly Lock _lock = new();

    private Checkpoint(string dir, Dictionary<string, string> fileOf)
    {
        _dir = dir;
        _fileOf = fileOf;
    }

    public static Checkpoint Open(string modelDir)
    {
        if (!Directory.Exists(modelDir)) throw new CheckpointException($"model directory not found: {modelDir}");
        var index = Path.Combine(modelDir, "model.safetensors.index.json");
        if (File.Exists(index)) return new Checkpoint(modelDir, ReadIndex(index));
        var single = Path.Combine(modelDir, "model.safetensors");
        if (!File.Exists(single))
            throw new CheckpointException($"no model.safetensors or model.safetensors.index.json in {modelDir}");
        var checkpoint = new Checkpoint(modelDir, []);
        var file = checkpoint.OpenFile("model.safetensors");
        foreach (var name in file.Tensors.Keys) checkpoint._fileOf[name] = "model.safetensors";
        return checkpoint;
    }

    internal static Dictionary<string, string> ReadIndex(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            return doc.RootElement.GetProperty("weight_map").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CheckpointException($"corrupt {indexPath}: {e.Message}");
        }
    }

    /// <summary>Reads a tensor (or a row/column range of it), checking its full shape first.</summary>
    public Tensor Read(string name, long[] expectedShape, Range? rows = null, Range? cols = null)
    {
        var file = FileOf(name);
        var info = file.Tensors[name];
        if (!info.Shape.SequenceEqual(expectedShape))
            throw new CheckpointException(
                $"tensor '{name}' has shape {info.ShapeText}, expected [{string.Join(", ", expectedShape)}]");
        return file.Read(name, rows, cols);
    }

    /// <summary>Reads into <paramref name="destination"/>, straight from the file where its dtype and layout allow.</summary>
    public void ReadInto(string name, long[] expectedShape, Tensor destination, Range? rows = null, Range? cols = null)
    {
        var file = FileOf(name);
        if (!file.Tensors[name].Shape.SequenceEqual(expectedShape))
            throw new CheckpointException(
                $"tensor '{name}' has shape {file.Tensors[name].ShapeText}, expected [{string.Join(", ", expectedShape)}]");
        if (file.TryReadInto(name, destination, rows, cols)) return;
        using var t = file.Read(name, rows, cols);
        if (!t.shape.SequenceEqual(destination.shape))
            throw new CheckpointException($"tensor '{name}' slice [{string.Join(", ", t.shape)}] does not fit a buffer of [{string.Join(", ", destination.shape)}]");
        destination.copy_(t);
    }

    private SafeTensorsFile FileOf(string name)
    {
        if (!_fileOf.TryGetValue(name, out var fileName))
            throw new CheckpointException($"tensor '{name}' missing from checkpoint {_dir}");
        var file = OpenFile(fileName);
        if (!file.Tensors.ContainsKey(name))
            throw new CheckpointException($"tensor '{name}' missing from {file.Path} (the index names it)");
        return file;
    }

    private SafeTensorsFile OpenFile(string fileName)
    {
        lock (_lock)
        {
            if (!_open.TryGetValue(fileName, out var file))
                _open[fileName] = file = new SafeTensorsFile(Path.Combine(_dir, fileName));
            return file;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var f in _open.Values) f.Dispose();
            _open.Clear();
        }
    }
}
