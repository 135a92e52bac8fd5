using System.CommandLine;
using OrleansLlm.Client.Connection;
using OrleansLlm.Client.Output;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Commands;

/// <summary>olm checkpoint: a random checkpoint of a named shape on disk, the weights shape:NAME deploys, for benchmarks that read real files.</summary>
internal static class CheckpointCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = "a named shape (olm models lists them)", Required = true };
        var dtype = new Option<string>("--dtype") { Description = $"{EnumText<DType>.Choices}", DefaultValueFactory = _ => "bfloat16" };
        var output = new Option<string>("--out") { Description = "folder to write config.json and model.safetensors into", Required = true };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line of stdout" };
        var command = new Command("checkpoint", "Write a random checkpoint of a named shape (what shape:NAME deploys) as a model folder");
        foreach (var o in new Option[] { shape, dtype, output, json }) command.Options.Add(o);
        command.SetAction((r, ct) => Cli.Run(() =>
        {
            var dir = Path.GetFullPath(r.GetValue(output)!);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ClusterConnection.WriteCheckpoint(r.GetValue(shape)!, r.GetValue(dtype)!, dir, Console.Error);
            var bytes = new FileInfo(Path.Combine(dir, "model.safetensors")).Length;
            if (r.GetValue(json)) JsonLine.Write(new { model = dir, bytes, seconds = clock.Elapsed.TotalSeconds });
            else Console.Out.WriteLine($"{dir}: {bytes / (1 << 20)} MiB in {clock.Elapsed.TotalSeconds:F0} s");
            return Task.CompletedTask;
        }));
        return command;
    }
}
