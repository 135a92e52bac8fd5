namespace OrleansLlm.Grains.Interfaces;

/// <summary>The precision of a deployment's weights, activations and KV caches (norms and softmax stay float32).</summary>
[GenerateSerializer, Alias("olm.DType")]
public enum DType
{
    [Names("float32", "fp32", "f32")] Float32,
    [Names("bfloat16", "bf16")] BFloat16,
    [Names("float16", "fp16", "f16", "half")] Float16,
}
