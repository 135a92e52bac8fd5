using System.CommandLine;
using OrleansLlm.Client.Connection;

namespace OrleansLlm.Client.Commands;

/// <summary>
/// olm sparsify: Deja Vu's predictors for a model folder, trained on a calibration text, with each layer's held-out
/// recall printed, and the threshold tables of the training-free mode; written next to the model.
/// </summary>
internal static class SparsifyCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "model folder (config.json, model.safetensors, tokenizer.json) on this machine", Required = true };
        var text = new Option<FileInfo>("--text") { Description = "calibration text the dense model runs over", Required = true };
        var holdout = new Option<FileInfo?>("--holdout") { Description = "held-out text for the recall (default: the calibration text's last fifth)" };
        var rank = new Option<int>("--rank") { Description = "the predictors' rank (default: hidden/2, at most 128)" };
        var steps = new Option<int>("--steps") { Description = "Adam steps a predictor", DefaultValueFactory = _ => 400 };
        var json = new Option<bool>("--json") { Description = "print the written header as one JSON object on the last line of stdout" };
        var command = new Command("sparsify", "Train contextual-sparsity predictors (Deja Vu) and calibrate thresholds for a model, on a text");
        foreach (var o in new Option[] { model, text, holdout, rank, steps, json }) command.Options.Add(o);
        command.SetAction((r, ct) => Cli.Run(() =>
        {
            var dir = Path.GetFullPath(r.GetValue(model)!);
            if (!Directory.Exists(dir)) throw new ArgumentException($"--model: no folder {dir}");
            if (r.GetValue(steps) < 1) throw new ArgumentException($"--steps must be at least 1, got {r.GetValue(steps)}");
            if (r.GetValue(rank) < 0) throw new ArgumentException($"--rank must be positive, got {r.GetValue(rank)}");
            var header = ClusterConnection.Sparsify(dir, Read(r.GetValue(text)!, "--text"), r.GetValue(holdout) is { } h ? Read(h, "--holdout") : null,
                r.GetValue(rank), r.GetValue(steps), r.GetValue(json) ? Console.Error : Console.Out);
            if (r.GetValue(json)) Console.Out.WriteLine(header);
            return Task.CompletedTask;
        }));
        return command;
    }

    private static string Read(FileInfo file, string option) =>
        File.Exists(file.FullName) ? File.ReadAllText(file.FullName) : throw new ArgumentException($"{option}: no file {file.FullName}");
}
