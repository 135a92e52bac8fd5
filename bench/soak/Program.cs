using OrleansLlm.Soak;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(SoakOptions.Help);
    return 0;
}
try
{
    var repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
    var options = SoakOptions.Parse(args, repository);
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    var report = await new SoakRun(options, Console.Error).RunAsync(stop.Token);
    var json = report.Json();
    Console.WriteLine(json);
    if (options.Output is { } file) await File.WriteAllTextAsync(file, json + "\n");
    return report.Passed ? 0 : 1;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or TimeoutException)
{
    Console.Error.WriteLine($"soak: {e.Message.Split('\n')[0]}");
    return 2;
}
