namespace MnistRnn.Training.Callbacks;

/// <summary>
/// Ends training after the step whose end finds the run's training time at <see cref="TrainingOptions.MaxTime"/> or past it, as
/// Lightning's <c>max_time</c>; the step's checkpoint is then written as on any stop, and a resumed run goes on counting.
/// </summary>
internal sealed class TimeBudget(TimeSpan budget) : TrainingCallback
{
    public override void OnStepEnd(TrainingContext context)
    {
        if (context.StopRequested || context.Step >= context.Options.Steps || context.TrainingTime < budget) return;
        TrainingLog.TimeBudgetSpent(context.Logger, context.Step, budget, context.TrainingTime);
        context.RequestStop(TrainingStop.TimeBudget);
    }
}
