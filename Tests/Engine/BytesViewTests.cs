using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

/// <summary>The checkpoint reader fills large tensors through the bytes of row blocks; a block's bytes must be its own.</summary>
public class BytesViewTests
{
    [Fact]
    public void BytesOfARowBlockAreThatBlocksStorage()
    {
        using var t = zeros(4, 2);
        using (var block = t.narrow(0, 2, 1))
            BitConverter.GetBytes(5f).Concat(BitConverter.GetBytes(6f)).ToArray().CopyTo(block.bytes);
        Assert.Equal([0f, 0f, 0f, 0f, 5f, 6f, 0f, 0f], t.data<float>().ToArray());
    }
}
