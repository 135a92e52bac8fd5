namespace OrleansLlm.Grains.Shards;

/// <summary>Latest progress reported from the executor thread, read by the grain's turn (no context hop needed).</summary>
internal sealed class ProgressBox : IProgress<double>
{
    private double _value;
    public double Value => Volatile.Read(ref _value);
    public void Report(double value) => Volatile.Write(ref _value, value);
}
