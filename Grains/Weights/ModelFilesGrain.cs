using Orleans.Runtime;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Placement;

namespace OrleansLlm.Grains.Weights;

/// <summary>Serves this silo's model folders to silos without them, and mirrors others' for this one (see <see cref="IModelFilesGrain"/>).</summary>
[SiloPinnedPlacement]
public sealed class ModelFilesGrain(ModelFolders folders) : Grain, IModelFilesGrain
{
    public Task<bool> HasAsync(string model) => Task.FromResult(!ModelName.IsShape(model) && folders.HasLocal(folders.Local(model)));

    public async Task<byte[]?> FileAsync(string model, string file)
    {
        if (!ModelFolders.SmallFiles.Contains(file)) throw new OlmException($"'{file}' is not a model file a peer hands out");
        var path = Path.Combine(folders.Local(model), file);
        if (!File.Exists(path)) return null;
        if (new FileInfo(path).Length > TensorBytes.MaxMessageBytes)
            throw new OlmException($"{path} is larger than the {TensorBytes.MaxMessageBytes}-byte message cap");
        return await File.ReadAllBytesAsync(path);
    }

    public Task<TensorBytes> ReadAsync(string model, string tensor, long[] shape, long rowStart, long rowCount, long colStart, long colCount) =>
        EngineErrors.Translate(() => Task.Run(() =>
        {
            // Positioned reads (no map left open) of just the rows asked for, off the grain's turn; the piece is wrapped,
            // and read out as bytes once, when the message leaves the silo.
            using var checkpoint = StreamingCheckpoint.Open(folders.Local(model));
            Range? rows = shape.Length == 0 ? null : new Range((int)rowStart, (int)(rowStart + rowCount));
            Range? cols = colCount < 0 ? null : new Range((int)colStart, (int)(colStart + colCount));
            using var piece = checkpoint.Read(tensor, shape, rows, cols);
            return TensorWire.ToBytes(piece).EnsureSendable();
        }));

    public async Task<string?> MirrorAsync(string model)
    {
        if (ModelName.IsShape(model) || folders.HasLocal(folders.Local(model))) return null;
        if (folders.PeerOf(model) is { } known) return known;
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var me = this.GetPrimaryKeyString();
        foreach (var silo in hosts.Keys.Select(h => h.ToParsableString()).Where(s => s != me).Order(StringComparer.Ordinal))
        {
            var peer = GrainFactory.GetGrain<IModelFilesGrain>(silo);
            if (!await peer.HasAsync(model)) continue;
            var dir = ModelFolders.MirrorDir(model, silo);
            Directory.CreateDirectory(dir);
            foreach (var file in ModelFolders.SmallFiles)
                if (await peer.FileAsync(model, file) is { } bytes) await File.WriteAllBytesAsync(Path.Combine(dir, file), bytes);
            folders.AddMirror(model, dir, silo);
            return silo;
        }
        throw new OlmException($"model directory not found: {folders.Local(model)} (and no silo of the cluster has '{model}')");
    }
}
