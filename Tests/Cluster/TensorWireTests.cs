using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using OrleansLlm.Grains.Compute;
using OrleansLlm.Grains.Interfaces;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Cluster;

public class TensorWireTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Int64)]
    public void TensorsSurviveTheWire(ScalarType dtype)
    {
        using var t = arange(0, 24).reshape(2, 3, 4).to(dtype);
        using var back = TensorWire.FromBytes(TensorWire.ToBytes(t));
        Assert.Equal(t.shape, back.shape);
        Assert.Equal(dtype, back.dtype);
        using var equal = t.eq(back).all();
        Assert.True(equal.item<bool>());
    }

    /// <summary>
    /// Inside a silo a message is the same object, the tensor still the sender's (no host copy); the serializer, which
    /// only a message leaving the silo meets, carries the bytes.
    /// </summary>
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void LocalTensorsPassByReferenceAndSerializeToBytes(ScalarType dtype)
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        using var t = arange(0, 24).reshape(2, 3, 4).to(dtype);
        var message = TensorWire.ToBytes(t);
        Assert.NotNull(message.Local);
        Assert.Same(message, services.GetRequiredService<DeepCopier>().Copy(message));
        var remote = services.GetRequiredService<Serializer>().Deserialize<TensorBytes>(
            services.GetRequiredService<Serializer>().SerializeToArray(message))!;
        Assert.Null(remote.Local);
        Assert.Equal(t.NumberOfElements * t.ElementSize, remote.Data.Length);
        using var local = TensorWire.FromBytes(message);
        using var back = TensorWire.FromBytes(remote);
        Assert.True(local.eq(t).all().item<bool>() && back.eq(t).all().item<bool>());
        Assert.Equal(dtype, back.dtype);
    }

    [Fact]
    public void PayloadsOverTheCapAreRefusedBeforeSending()
    {
        var big = new TensorBytes([TensorBytes.MaxMessageBytes + 1], "Byte", new byte[TensorBytes.MaxMessageBytes + 1]);
        Assert.Throws<OlmException>(() => big.EnsureSendable());
        var fits = new TensorBytes([TensorBytes.MaxMessageBytes], "Byte", new byte[TensorBytes.MaxMessageBytes]);
        Assert.Same(fits, fits.EnsureSendable());
    }

    [Fact]
    public void AMismatchedPayloadIsRefused()
    {
        var e = Assert.Throws<OlmException>(() => TensorWire.FromBytes(new TensorBytes([4], "Float32", new byte[15])));
        Assert.Contains("cannot hold 15 bytes", e.Message);
    }
}
