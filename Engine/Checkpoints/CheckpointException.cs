namespace OrleansLlm.Engine.Checkpoints;

/// <summary>A checkpoint file or tensor that cannot be read as asked; the message names the file or tensor.</summary>
public sealed class CheckpointException(string message) : Exception(message);
