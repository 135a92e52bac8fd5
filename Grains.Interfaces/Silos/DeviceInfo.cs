namespace OrleansLlm.Grains.Interfaces;

/// <summary>A device a silo offers and its memory budget.</summary>
[GenerateSerializer, Immutable, Alias("olm.DeviceInfo")]
public sealed record DeviceInfo(
    [property: Id(0)] string Device,
    [property: Id(1)] long BudgetBytes,
    [property: Id(2)] long ReservedBytes,
    [property: Id(3)] double RelativeSpeed = 1.0)
{
    public long FreeBytes => BudgetBytes - ReservedBytes;
}
