namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A silo's model folders, for silos that lack them (key: the silo address; lives on that silo). A silo without a
/// model's folder mirrors its small files (config, tokenizer, chat template) from a silo that has it and reads its
/// weights from there, a piece at a time under the message cap, so a model needs to be on one machine only. The reads
/// interleave: two silos mirroring at once ask each other what they have.
/// </summary>
[Alias("olm.IModelFilesGrain")]
public interface IModelFilesGrain : IGrainWithStringKey
{
    /// <summary>Whether this silo has the model's folder (config.json and its safetensors) under its model directory.</summary>
    [AlwaysInterleave, Alias("Has")] Task<bool> HasAsync(string model);

    /// <summary>A small file of the model's folder (null when it has none); refused above the message cap.</summary>
    [AlwaysInterleave, Alias("File")] Task<byte[]?> FileAsync(string model, string file);

    /// <summary>Rows [rowStart, rowStart + rowCount) of a tensor, of all columns or [colStart, colStart + colCount), in the file's dtype.</summary>
    [AlwaysInterleave, Alias("Read")] Task<TensorBytes> ReadAsync(string model, string tensor, long[] shape, long rowStart, long rowCount, long colStart, long colCount);

    /// <summary>
    /// Makes the model readable on this silo: nothing to do with its folder here, else its small files are mirrored from
    /// a silo that has it. Returns the silo its weights come from (null: this one), or a one-line error when none has it.
    /// </summary>
    [Alias("Mirror")] Task<string?> MirrorAsync(string model);
}
