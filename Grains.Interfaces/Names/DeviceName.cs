namespace OrleansLlm.Grains.Interfaces;

/// <summary>
/// A device as the cluster names it: <c>cpu</c>, <c>cuda:N</c>, or <c>cuda</c>, which asks for any GPU and, where a
/// silo offers it, means its first. The one place these names are parsed; case and surrounding spaces do not matter.
/// </summary>
public readonly record struct DeviceName
{
    public static readonly DeviceName Cpu = new(false, null);

    private DeviceName(bool isCuda, int? index)
    {
        IsCuda = isCuda;
        Index = index;
    }

    public bool IsCuda { get; }

    /// <summary>The GPU's number; null for the CPU and for an unnumbered <c>cuda</c>.</summary>
    public int? Index { get; }

    /// <summary>The device a silo offering this name means: <c>cuda</c> is <c>cuda:0</c>.</summary>
    public DeviceName Concrete => IsCuda && Index is null ? Gpu(0) : this;

    public static DeviceName Gpu(int index) =>
        index >= 0 ? new(true, index) : throw new ArgumentOutOfRangeException(nameof(index), index, "a GPU's number is 0 or more");

    public static DeviceName Parse(string text) =>
        TryParse(text, out var device) ? device : throw new ArgumentException($"unknown device '{text}' (use cpu, cuda or cuda:N)");

    public static bool TryParse(string? text, out DeviceName device)
    {
        device = Cpu;
        var t = text?.Trim().ToLowerInvariant();
        switch (t)
        {
            case "cpu": return true;
            case "cuda": device = new(true, null); return true;
        }
        if (t is null || !t.StartsWith("cuda:", StringComparison.Ordinal) || !int.TryParse(t.AsSpan(5), out var n) || n < 0) return false;
        device = Gpu(n);
        return true;
    }

    /// <summary>Whether <paramref name="text"/> names a GPU (a name that does not parse names none).</summary>
    public static bool IsGpu(string? text) => TryParse(text, out var d) && d.IsCuda;

    /// <summary>Whether a device offered as <paramref name="offered"/> serves a request for this one: <c>cuda</c> takes any GPU.</summary>
    public bool Accepts(DeviceName offered) => IsCuda && Index is null ? offered.IsCuda : offered.Concrete == this.Concrete;

    public override string ToString() => !IsCuda ? "cpu" : Index is { } i ? $"cuda:{i}" : "cuda";
}
