namespace OrleansLlm.Engine.Serving;

/// <summary>A request that could never fit the KV cache, however long it waited.</summary>
public sealed class KvCapacityException(string message) : Exception(message);
