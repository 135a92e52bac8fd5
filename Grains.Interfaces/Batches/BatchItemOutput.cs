namespace OrleansLlm.Grains.Interfaces;

/// <summary>What a batch entry wants back (the engine's BatchOutput in wire form).</summary>
[GenerateSerializer, Alias("olm.BatchItemOutput")]
public enum BatchItemOutput { None, Next, Score }
