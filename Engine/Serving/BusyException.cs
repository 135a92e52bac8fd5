namespace OrleansLlm.Engine.Serving;

/// <summary>Too many requests wait already: refuse now, the client may retry.</summary>
public sealed class BusyException(string message) : Exception(message);
