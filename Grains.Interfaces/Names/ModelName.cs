namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A deployment's model as it is named: a folder the silos read, or <c>shape:NAME</c> for random weights of a known
/// model shape (benchmarks, tests). The one place the prefix is known.
/// </summary>
public static class ModelName
{
    private const string ShapePrefix = "shape:";

    public static bool IsShape(string model) => model.StartsWith(ShapePrefix, StringComparison.Ordinal);

    /// <summary>The shape's name (llama-1b) of a <c>shape:</c> model.</summary>
    public static string ShapeOf(string model) =>
        IsShape(model) ? model[ShapePrefix.Length..] : throw new ArgumentException($"'{model}' names no shape");

    /// <summary>A short name: the shape, or the folder's own name.</summary>
    public static string Short(string model) => IsShape(model) ? ShapeOf(model) : Path.GetFileName(model.TrimEnd('/'));
}
