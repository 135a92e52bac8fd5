namespace OrleansLlm.Engine.Sequence;

/// <summary>How a sequence-parallel prefill splits the prompt: contiguous blocks (Ring), stripes, or KV-Runahead's uneven blocks.</summary>
public enum SequenceStrategy { Ring, Striped, Runahead }
