namespace OrleansLlm.Engine.Checkpoints;

/// <summary>One entry of a safetensors header: where a tensor's bytes lie and how to read them.</summary>
public sealed record TensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    public int ElementSize => DType switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" => 2,
        _ => throw new CheckpointException($"tensor '{Name}' has unsupported dtype {DType} (supported: F32, F16, BF16, F64, I64, I32)"),
    };

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
