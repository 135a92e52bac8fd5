using System.CommandLine;
using OrleansLlm.Client.Connection;
using OrleansLlm.Client.Output;
using Spectre.Console;

namespace OrleansLlm.Client.Commands;

public sealed record FamilyRow(string Name, IReadOnlyList<string> Architectures, string Examples);

public sealed record ShapeRow(string Name, string Family, long Parameters, long Layers, long Hidden);

public sealed record Catalog(IReadOnlyList<FamilyRow> Families, IReadOnlyList<ShapeRow> Shapes);

/// <summary>olm models: the model families olm serves (by config.json's architectures) and the named shapes of shape:NAME.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var shape = new Option<string?>("--shape") { Description = "print this named shape's config.json (what shape:NAME deploys) instead of the lists" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line of stdout" };
        var command = new Command("models", "List the model families served (a checkpoint's config.json names one in \"architectures\") and the named shapes for shape:NAME");
        command.Options.Add(shape);
        command.Options.Add(json);
        command.SetAction((r, ct) => Cli.Run(() =>
        {
            if (r.GetValue(shape) is { } name)
            {
                Console.Out.Write(ClusterConnection.ShapeConfig(name));
                return Task.CompletedTask;
            }
            var catalog = ClusterConnection.Catalog();
            if (r.GetValue(json))
            {
                JsonLine.Write(new
                {
                    families = catalog.Families.Select(f => new { name = f.Name, architectures = f.Architectures, examples = f.Examples }),
                    shapes = catalog.Shapes.Select(s => new { name = s.Name, family = s.Family, parameters = s.Parameters, layers = s.Layers, hidden = s.Hidden }),
                });
                return Task.CompletedTask;
            }
            var families = new Table().AddColumns("family", "architectures", "checkpoints");
            foreach (var f in catalog.Families) families.AddRow(f.Name, string.Join(", ", f.Architectures), Markup.Escape(f.Examples));
            AnsiConsole.Write(families);
            var shapes = new Table().AddColumns("shape:NAME", "family", "parameters", "layers", "hidden");
            foreach (var s in catalog.Shapes)
                shapes.AddRow(s.Name, s.Family, s.Parameters >= 1e9 ? $"{s.Parameters / 1e9:F2} B" : $"{s.Parameters / 1e6:F2} M", s.Layers.ToString(), s.Hidden.ToString());
            AnsiConsole.Write(shapes);
            return Task.CompletedTask;
        }));
        return command;
    }
}
