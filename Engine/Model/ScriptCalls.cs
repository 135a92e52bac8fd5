using TorchSharp;
using static TorchSharp.torch;

namespace OrleansLlm.Engine.Model;

/// <summary>
/// Calls into a compiled script with every native argument kept alive for the whole call. TorchSharp's own
/// <c>invoke</c> turns a long or double into a <see cref="Scalar"/>, takes its handle and drops the object, so under
/// load the finalizer can free the scalar before libtorch reads it (seen as "Expected false to be true" from
/// <c>Scalar::toLong</c> mid-generation); temporaries held only by the argument array are at the same risk.
/// </summary>
internal static class ScriptCalls
{
    public static T Call<T>(this Lazy<jit.CompilationUnit> unit, string name, params object[] args)
    {
        var passed = new object[args.Length];
        for (var i = 0; i < args.Length; i++)
            passed[i] = args[i] switch
            {
                long l => l.ToScalar(),
                double d => d.ToScalar(),
                float f => f.ToScalar(),
                var other => other!,
            };
        try
        {
            return unit.Value.invoke<T>(name, passed);
        }
        finally
        {
            GC.KeepAlive(args);
            for (var i = 0; i < passed.Length; i++)
                if (passed[i] is Scalar s && args[i] is not Scalar) s.Dispose();
        }
    }
}
