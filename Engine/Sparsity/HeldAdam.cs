using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Sparsity;

/// <summary>
/// Adam (Kingma and Ba; no weight decay, no AMSGrad, as <c>torch.optim.Adam</c>'s defaults) over a few parameters, with
/// every scalar it hands libtorch held until the call returns. TorchSharp's own optimizer passes temporary
/// <see cref="Scalar"/>s and drops them while libtorch still reads them; over thousands of steps the finalizer freed one
/// mid-call (seen as "Expected false to be true" from <c>Scalar::toFloat</c> in <c>addcmul_</c>).
/// </summary>
internal sealed class HeldAdam : IDisposable
{
    private readonly Tensor[] _parameters, _first, _second;
    private readonly double _rate, _beta1, _beta2;
    private readonly Scalar _keep1, _take1, _keep2, _take2, _epsilon;
    private int _steps;

    public HeldAdam(Tensor[] parameters, double rate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        (_parameters, _rate, _beta1, _beta2) = (parameters, rate, beta1, beta2);
        _first = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _second = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        (_keep1, _take1, _keep2, _take2, _epsilon) =
            (beta1.ToScalar(), (1 - beta1).ToScalar(), beta2.ToScalar(), (1 - beta2).ToScalar(), epsilon.ToScalar());
    }

    /// <summary>One update from the parameters' gradients, which it then clears.</summary>
    public void Step()
    {
        _steps++;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var stepSize = (-_rate / (1 - Math.Pow(_beta1, _steps))).ToScalar();
        using var correction = Math.Sqrt(1 - Math.Pow(_beta2, _steps)).ToScalar();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var grad = _parameters[i].grad ?? throw new InvalidOperationException("a parameter has no gradient: call backward first");
            _first[i].mul_(_keep1).add_(grad, _take1);
            _second[i].mul_(_keep2).addcmul_(grad, grad, _take2);
            var denominator = _second[i].sqrt().div_(correction).add_(_epsilon);
            _parameters[i].addcdiv_(_first[i], denominator, stepSize);
            grad.zero_();
        }
    }

    public void Dispose()
    {
        foreach (var t in _first.Concat(_second)) t.Dispose();
        foreach (var s in new[] { _keep1, _take1, _keep2, _take2, _epsilon }) s.Dispose();
    }
}
