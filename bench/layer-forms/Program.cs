using System.Diagnostics;
using System.Text.Json;
using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Cuda;
using OrleansLlm.Engine.Model;
using OrleansLlm.LayerForms;
using static TorchSharp.torch;

// The decoder layer as one TorchScript call (the engine's form) against the same math as C# TorchSharp ops, on random
// weights of a shape: a step's wall time (the GPU synchronized after it) and the host's time to issue it, eager and
// replayed as a CUDA graph. Usage: LayerForms [--shapes llama-1b,llama-8b] [--steps 20] [--device cuda]
var shapes = Arg("--shapes", "llama-1b,llama-8b").Split(',');
var steps = int.Parse(Arg("--steps", "20"));
var device = Arg("--device", "cuda");
foreach (var shape in shapes) Measure(shape);
return 0;

string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;

void Measure(string shape)
{
    var config = ModelShapes.Get(shape);
    var dtype = device.StartsWith("cuda") ? ScalarType.BFloat16 : ScalarType.Float32;
    using var model = ShardModel.Load(config, ModelSlice.Full(config) with { HasEmbedding = false, HasHead = false },
        new ShardOptions { Device = device, DType = dtype }, new RandomWeights(3, dtype, device));
    const int blockSize = 16;
    using var pool = model.NewPool(64 * 272 / blockSize + 2, blockSize);
    foreach (var (name, layout) in Cases(blockSize))
    {
        using var batch = BatchTensors.Build(layout, model.Device);
        using var x = randn([layout.Rows, config.HiddenSize], dtype, model.Device);
        Report(shape, name, "torchscript", Time(() => model.ForwardBatch(x, batch, pool)), layout.Chunks.Count == 0 ? Graph(() => model.ForwardBatch(x, batch, pool)) : null);
        // The step is built each call in both forms (ForwardBatch builds it: RoPE tables, the decode bias).
        var (layers, kvs, m) = (model.ResidentLayers, pool.Keys.Zip(pool.Values, (k, v) => new OrleansLlm.Engine.Model.Layers.Kv(k, v)).ToArray(), model.ShapeForProbe);
        Tensor CSharp() => CSharpLayer.Stack(x, layers, kvs, model.StepOf(batch), m);
        Report(shape, name, "csharp", Time(CSharp), layout.Chunks.Count == 0 ? Graph(CSharp) : null);
    }
}

IEnumerable<(string, BatchLayout)> Cases(int blockSize)
{
    int[] Blocks(int seq, int length) => Enumerable.Range(1 + seq * 17, (length + blockSize - 1) / blockSize).ToArray();
    yield return ("decode, 1 row at 128", new BatchLayout([new BatchEntry(127, 1, Blocks(0, 128), BatchOutput.Next)], blockSize));
    yield return ("decode, 64 rows at 256", new BatchLayout(Enumerable.Range(0, 64).Select(i => new BatchEntry(255, 1, Blocks(i, 256), BatchOutput.Next)).ToList(), blockSize));
    yield return ("prefill, a chunk of 512", new BatchLayout([new BatchEntry(0, 512, Blocks(0, 512), BatchOutput.Next)], blockSize));
}

(double WallMs, double HostMs) Time(Func<Tensor> step)
{
    for (var i = 0; i < 3; i++) using (NewDisposeScope()) step();
    Sync();
    var (wall, host) = (new List<double>(), new List<double>());
    for (var i = 0; i < steps; i++)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        step();
        host.Add(clock.Elapsed.TotalMilliseconds);
        Sync();
        wall.Add(clock.Elapsed.TotalMilliseconds);
    }
    return (Median(wall), Median(host));
}

double? Graph(Func<Tensor> step)
{
    if (!device.StartsWith("cuda") || !NativeCuda.Loaded) return null;
    for (var i = 0; i < 3; i++) using (NewDisposeScope()) step();
    var (graph, output) = CudaGraph.Capture(new Device(device).index, step);
    using (graph) using (output)
    {
        var times = new List<double>();
        for (var i = 0; i < steps; i++)
        {
            var clock = Stopwatch.StartNew();
            graph.Replay();
            Sync();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Median(times);
    }
}

void Sync() { if (device.StartsWith("cuda")) cuda.synchronize(new Device(device)); }

double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);

void Report(string shape, string step, string form, (double WallMs, double HostMs) eager, double? graphMs) =>
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        shape, step, form, eager_ms = Math.Round(eager.WallMs, 3), host_ms = Math.Round(eager.HostMs, 3),
        graph_ms = graphMs is { } g ? Math.Round(g, 3) : (double?)null,
    }));
