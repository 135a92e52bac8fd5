namespace OrleansLlm.Engine.Tokenization;

/// <summary>A tokenizer.json that is missing, malformed or uses something we do not implement.</summary>
public sealed class TokenizerException(string message) : Exception(message);
