using MnistRnn.Checkpoints;

namespace MnistRnn.Training.Callbacks;

/// <summary>
/// Ends training after the step whose end finds the run's training time at <see cref="TrainingOptions.MaxTime"/> or past it, as
/// Lightning's <c>max_time</c>; the step's checkpoint is then written as on any stop, and a resumed run goes on counting.
/// </summary>
internal sealed class TimeBudget(TimeSpan budget) : TrainingCallback
{
    /// <summary>The budget <paramref name="options"/> give; null when they give none.</summary>
    public static TimeBudget? For(TrainingOptions options) => options.MaxTime is TimeSpan budget ? new TimeBudget(budget) : null;

    /// <summary>Why a run of <paramref name="options"/> cannot continue <paramref name="checkpoint"/>: its budget is already spent.</summary>
    public static ResumeProblem? ResumeProblem(TrainingOptions options, Checkpoint checkpoint) =>
        options.MaxTime is TimeSpan given && checkpoint.TrainingTime >= given
            ? new(ResumeProblemKind.NothingToTrain, nameof(TrainingOptions.MaxTime),
                $"{Trainer.OptionsPropertyName(nameof(TrainingOptions.MaxTime))} is {given} but the run has already trained {checkpoint.TrainingTime}; give a larger time budget to train further.")
                { Given = given, Saved = checkpoint.TrainingTime }
            : null;

    public override void OnStepEnd(TrainingContext context)
    {
        if (context.StopRequested || context.Step >= context.Options.Steps || context.TrainingTime < budget) return;
        TrainingLog.TimeBudgetSpent(context.Logger, context.Step, budget, context.TrainingTime);
        context.RequestStop(TrainingStop.TimeBudget);
    }
}
