namespace OrleansLlm.Grains.Interfaces;

/// <summary>A silo's devices, and its process's resident memory now and at its peak (0 where the platform does not tell).</summary>
[GenerateSerializer, Immutable, Alias("olm.SiloInventory")]
public sealed record SiloInventory([property: Id(0)] string Silo, [property: Id(1)] DeviceInfo[] Devices,
    [property: Id(2)] long RssBytes = 0, [property: Id(3)] long PeakRssBytes = 0);
