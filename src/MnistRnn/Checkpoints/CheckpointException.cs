namespace MnistRnn.Checkpoints;

/// <summary>
/// A checkpoint file that cannot be used: missing, truncated, corrupt, not a checkpoint, or of another
/// architecture than expected. The message starts with the file's path and says what is wrong.
/// </summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The <see cref="Training.TrainingOptions"/> property the problem concerns, when one does (a resume that changes a setting); else null.</summary>
    public string? Setting { get; init; }
}
