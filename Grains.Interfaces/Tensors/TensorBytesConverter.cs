namespace OrleansLlm.Grains.Interfaces;

/// <summary>Converts a <see cref="TensorBytes"/> to its wire form (reading a local tensor's bytes once) and back.</summary>
[RegisterConverter]
public sealed class TensorBytesConverter : IConverter<TensorBytes, TensorBytesSurrogate>
{
    public TensorBytes ConvertFromSurrogate(in TensorBytesSurrogate surrogate) => new(surrogate.Shape, surrogate.DType, surrogate.Data);

    public TensorBytesSurrogate ConvertToSurrogate(in TensorBytes value) =>
        new() { Shape = value.Shape, DType = value.DType, Data = value.Data };
}
