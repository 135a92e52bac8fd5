using TorchSharp;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// Scalars the kernels pass to libtorch. An implicit double → Scalar conversion creates an object that is unreachable
/// once its handle is read, so its finalizer can free the native scalar while the native call still uses it (seen as
/// "Expected false to be true" from c10::Scalar::toFloat under GC pressure). Constants live here for good; per-call
/// values are held with <c>using</c> until the call returns.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
    public static readonly Scalar Zero = 0.0.ToScalar();
}
