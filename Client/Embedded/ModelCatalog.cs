using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Families;

namespace OrleansLlm.Client.Embedded;

/// <summary>olm models' facts: the family registry and the named shapes (nothing here loads libtorch).</summary>
public static class ModelCatalog
{
    public sealed record Family(string Name, IReadOnlyList<string> Architectures, string Examples);

    public sealed record Shape(string Name, string Family, long Parameters, long Layers, long Hidden);

    public static IReadOnlyList<Family> Families() =>
        ModelFamilies.Supported.Select(f => new Family(f.Name, f.Architectures, f.Examples)).ToList();

    public static IReadOnlyList<Shape> Shapes() => ModelShapes.Names.Select(name =>
    {
        var c = ModelShapes.Get(name);
        var parameters = RandomCheckpoint.Tensors(c).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
        return new Shape(name, c.FamilyName, parameters, c.NumLayers, c.HiddenSize);
    }).ToList();

    /// <summary>The config.json of a named shape (what shape:NAME deploys), for a baseline built from the same config.</summary>
    public static string ShapeConfig(string name) => ModelShapes.Json(name);
}
