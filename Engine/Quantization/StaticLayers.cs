using OrleansLlm.Engine.Batching;
using OrleansLlm.Engine.Config;
using OrleansLlm.Engine.Memory;
using OrleansLlm.Engine.Model;
using OrleansLlm.Engine.Paged;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Quantization;

/// <summary>
/// A shard's layers as llm.npu runs them: int8 linears at static scales, each linear driven from here so that its
/// shadow (the clipped remainder of its outlier channels, where calibration said it matters) runs on the shadow
/// device while the int8 matmul runs on the shard's device, and is added back.
/// </summary>
internal sealed class StaticLayers : IDisposable
{
    /// <summary>One linear: int8 rows and scales, bias, activation scale, shadow channels and their weight columns (host).</summary>
    private sealed record Linear(Tensor Q, Tensor S, Tensor? Bias, Tensor Scale, Tensor Channels, Tensor? Columns)
    {
        public IEnumerable<Tensor> All => new[] { Q, S, Bias, Scale, Channels, Columns }.OfType<Tensor>();
    }

    private readonly ModelConfig _c;
    private readonly ModelSlice _slice;
    private readonly ScalarType _dtype;
    private readonly Tensor[] _norms;      // input norm, post norm per layer
    private readonly Linear[] _linears;    // qkv, o, gate-up, down per layer
    private readonly ShadowDevice _shadow = new();

    public StaticPlan Plan { get; }

    public StaticLayers(ModelConfig c, ModelSlice slice, ScalarType dtype, ResidentBlocks floats, StaticPlan plan)
    {
        (_c, _slice, _dtype, Plan) = (c, slice, dtype, plan);
        using var scope = NewDisposeScope();
        _norms = new Tensor[2 * slice.LayerCount];
        _linears = new Linear[4 * slice.LayerCount];
        for (var b = 0; b < floats.Count; b++)
        {
            var w = floats.Acquire(b).Kernel;
            _norms[b] = w[0].clone();
            _linears[2 * b] = Quantized(w[1], w[3], plan.Linears[2 * b]);
            _linears[2 * b + 1] = Quantized(w[4], w[6], plan.Linears[2 * b + 1]);
        }
        // Held for the shard's life whatever scope the caller is in (the loading code's scopes end before it does).
        foreach (var t in _norms.Concat(_linears.SelectMany(l => l.All))) t.DetachFromDisposeScope();
    }

    private static Linear Quantized(Tensor w, Tensor bias, StaticLinear plan)
    {
        var (q, s) = Int8Weights.Quantize(w);
        var channels = tensor(plan.Shadowed ? plan.Channels : []).to(w.device);
        var columns = plan.Shadowed ? q.index_select(1, channels).to(ScalarType.Float32).mul(s.unsqueeze(1)).cpu() : null;
        return new Linear(q, s, bias.numel() == 0 ? null : bias.clone(), tensor((float)plan.Scale).to(w.device), channels, columns);
    }

    public long Bytes => _norms.Concat(_linears.SelectMany(l => l.All)).Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>The layers over a batch in a paged pool (x [T, hidden] in the model's dtype).</summary>
    public Tensor Forward(Tensor x, BatchTensors batch, PagedKvPool pool, Tensor cos, Tensor sin)
    {
        var (qh, kvh) = ((long)_slice.KvHeadCount * _c.GroupSize, (long)_slice.KvHeadCount);
        for (var l = 0; l < _slice.LayerCount; l++)
        {
            var qkv = Run(_linears[4 * l], Kernels.RmsNorm(x, _norms[2 * l], _c.RmsNormEps));
            var flat = Kernels.QkvAttendPaged(qkv, pool.Keys[l], pool.Values[l], batch, cos, sin, qh, kvh, _c.HeadDim, _dtype);
            x = x.add(Run(_linears[4 * l + 1], flat));
            var gateUp = Run(_linears[4 * l + 2], Kernels.RmsNorm(x, _norms[2 * l + 1], _c.RmsNormEps));
            x = x.add(Run(_linears[4 * l + 3], Kernels.SwiGlu(gateUp)));
        }
        return x;
    }

    /// <summary>One linear: its shadow handed to the shadow device, the int8 matmul meanwhile, the shadow's product added.</summary>
    private Tensor Run(Linear lin, Tensor x)
    {
        var (xq, remainder) = Kernels.StaticSplit(x, lin.Scale, lin.Channels);
        var shadow = lin.Columns is { } columns ? _shadow.Multiply(remainder, columns) : null;
        var y = Kernels.StaticMain(xq, lin.Q, lin.S, lin.Scale);
        if (shadow is not null)
        {
            using var product = shadow.GetAwaiter().GetResult();
            y = y.add(product.to(y.device));
        }
        if (lin.Bias is { } b) y = y.add(b.to(ScalarType.Float32));
        return y.to(_dtype);
    }

    public void Dispose()
    {
        _shadow.Dispose();
        foreach (var t in _norms.Concat(_linears.SelectMany(l => l.All))) t.Dispose();
    }
}
