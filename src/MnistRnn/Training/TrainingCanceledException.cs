namespace MnistRnn.Training;

/// <summary>
/// Training stopped because its cancellation token was cancelled: the step in flight finished and, with a
/// <see cref="Checkpoints.CheckpointStore"/>, a checkpoint was written first. It says where the run stands, so a caller
/// needs nothing from the trainer to report it or resume.
/// </summary>
public sealed class TrainingCanceledException(int completedSteps, string? lastCheckpoint, CancellationToken token)
    : OperationCanceledException($"Training was cancelled after step {completedSteps}; " +
        (lastCheckpoint is null ? "no checkpoint was written." : $"the last checkpoint is {lastCheckpoint}."), token)
{
    /// <summary>Steps completed, counting a resumed checkpoint's.</summary>
    public int CompletedSteps { get; } = completedSteps;

    /// <summary>The last checkpoint written (on cancellation, of <see cref="CompletedSteps"/>), or null.</summary>
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
