namespace OrleansLlm.Engine.Config;

/// <summary>A config.json value the engine cannot serve; the message names the value.</summary>
public sealed class ModelConfigException(string message) : Exception(message);
