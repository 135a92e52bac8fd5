namespace OrleansLlm.Grains.Interfaces;

[GenerateSerializer, Immutable, Alias("olm.SiloInventory")]
public sealed record SiloInventory([property: Id(0)] string Silo, [property: Id(1)] DeviceInfo[] Devices);
