namespace OrleansLlm.Grains.Interfaces;

/// <summary>Where a step's time went on the shards it crossed, and what it sent.</summary>
[GenerateSerializer, Immutable, Alias("olm.StepTimings")]
public sealed record StepTimings(
    [property: Id(0)] double ComputeMs,
    [property: Id(1)] double AllReduceWaitMs,
    [property: Id(2)] int Messages,
    [property: Id(3)] long Bytes)
{
    public static readonly StepTimings Zero = new(0, 0, 0, 0);

    public StepTimings Add(StepTimings o) =>
        new(ComputeMs + o.ComputeMs, AllReduceWaitMs + o.AllReduceWaitMs, Messages + o.Messages, Bytes + o.Bytes);
}
