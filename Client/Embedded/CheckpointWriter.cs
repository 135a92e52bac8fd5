using OrleansLlm.Engine.Checkpoints;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Interfaces;

namespace OrleansLlm.Client.Embedded;

/// <summary>olm checkpoint's work, here because it needs libtorch (the random weights are drawn by it).</summary>
public static class CheckpointWriter
{
    public static void Write(string shape, string dtype, string dir, TextWriter log)
    {
        Engine.LibTorch.EnsureLoadable();
        RandomCheckpoint.Write(shape, EnumText<DType>.Parse(dtype, "dtype").ToScalarType(), dir, log);
    }
}
