namespace MnistRnn.Training;

/// <summary>What a training run did. Per-step metrics go to <see cref="TrainingCallback.OnStepReported"/> as they happen, so a long run keeps no history.</summary>
/// <param name="Steps">Steps completed by this call (after the resumed checkpoint's, when resuming).</param>
/// <param name="BatchSize">Sequences per step (<see cref="TrainingOptions.SequencesPerStep"/>: the batch size times the batches accumulated).</param>
/// <param name="TrainSeconds">Wall-clock seconds spent in the training loop.</param>
/// <param name="LastStep">The metrics of the last step.</param>
public sealed record TrainingResult(int Steps, int BatchSize, double TrainSeconds, StepMetrics LastStep)
{
    /// <summary>The number of the last step trained, counting a resumed checkpoint's: <see cref="TrainingOptions.Steps"/> unless training stopped early.</summary>
    public int LastStepNumber { get; init; }

    /// <summary>True when training ended before <see cref="TrainingOptions.Steps"/> (see <see cref="StoppedBy"/>).</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>What ended training: all its steps, early stopping, the time budget or a callback.</summary>
    public TrainingStop StoppedBy { get; init; }

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

    /// <summary>The precision the run trained in and why (what <see cref="Precision.Auto"/> chose, and from what measurement).</summary>
    public PrecisionChoice PrecisionChoice { get; init; } = new(Precision.Float32, "given");

    /// <summary>The CPU threads the run computed with and why (<see cref="TrainingOptions.Threads"/>, or what the trainer decided).</summary>
    public ThreadChoice ThreadChoice { get; init; } = new(1, ThreadSource.Given, "given");

    /// <summary>Training sequences processed per second.</summary>
    public double SamplesPerSecond => TrainSeconds > 0 ? Steps * (double)BatchSize / TrainSeconds : 0;
}

/// <summary>What ended a training run.</summary>
public enum TrainingStop
{
    /// <summary>It trained all <see cref="TrainingOptions.Steps"/>.</summary>
    AllSteps,

    /// <summary><see cref="TrainingOptions.EarlyStopPatience"/> validations in a row did not improve on the best.</summary>
    EarlyStopping,

    /// <summary>The training time reached <see cref="TrainingOptions.MaxTime"/>.</summary>
    TimeBudget,

    /// <summary>A <see cref="TrainingCallback"/> called <see cref="TrainingContext.RequestStop()"/>.</summary>
    Callback,
}
