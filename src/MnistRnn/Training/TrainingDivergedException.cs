namespace MnistRnn.Training;

/// <summary>Training stopped because too many steps in a row had a non-finite loss or gradient.</summary>
public sealed class TrainingDivergedException(int step, int consecutive, string? lastCheckpoint)
    : Exception($"Training diverged: steps {step - consecutive + 1} to {step} all had a non-finite loss or gradient, so their updates were skipped; " +
        (lastCheckpoint is null ? "no checkpoint was written" : $"the last good checkpoint is {lastCheckpoint}") +
        ". Lower TrainingOptions.LearningRate or clip tighter with TrainingOptions.ClipNorm.")
{
    /// <summary>The step at which training stopped.</summary>
    public int Step { get; } = step;

    /// <summary>The last checkpoint written before it, or null.</summary>
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
