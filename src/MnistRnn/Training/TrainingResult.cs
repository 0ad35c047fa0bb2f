namespace MnistRnn.Training;

/// <summary>What a training run did. Per-step metrics go to <see cref="TrainingCallback.OnStepReported"/> as they happen, so a long run keeps no history.</summary>
/// <param name="Steps">Steps completed by this call (after the resumed checkpoint's, when resuming).</param>
/// <param name="BatchSize">Sequences per step.</param>
/// <param name="TrainSeconds">Wall-clock seconds spent in the training loop.</param>
/// <param name="LastStep">The metrics of the last step.</param>
public sealed record TrainingResult(int Steps, int BatchSize, double TrainSeconds, StepMetrics LastStep)
{
    /// <summary>The number of the last step trained, counting a resumed checkpoint's: <see cref="TrainingOptions.Steps"/> unless training stopped early.</summary>
    public int LastStepNumber { get; init; }

    /// <summary>True when early stopping ended training before <see cref="TrainingOptions.Steps"/>.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Every validation of the run, a resumed checkpoint's included, in step order; empty without validation data.</summary>
    public IReadOnlyList<ValidationRecord> Validations { get; init; } = [];

    /// <summary>The best validation (see <see cref="TrainingOptions.Monitor"/>); null without validation data.</summary>
    public ValidationRecord? BestValidation { get; init; }

    /// <summary>
    /// The step whose weights the model holds now: <see cref="BestValidation"/>'s with <see cref="TrainingOptions.RestoreBestWeights"/>,
    /// else <see cref="LastStepNumber"/>.
    /// </summary>
    public int WeightsFromStep { get; init; }

    /// <summary>The last checkpoint written (after the last step, with a <see cref="Checkpoints.CheckpointStore"/>), or null.</summary>
    public string? LastCheckpoint { get; init; }

    /// <summary>Training sequences processed per second.</summary>
    public double SamplesPerSecond => TrainSeconds > 0 ? Steps * (double)BatchSize / TrainSeconds : 0;
}
