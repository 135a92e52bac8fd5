namespace OrleansLlm.Grains.Interfaces;

/// <summary>A tensor kept where it was made (on its GPU): its bytes are read only if a message carries it off the silo.</summary>
public interface ILocalTensor
{
    byte[] ToBytes();
}
