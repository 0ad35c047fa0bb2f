using MnistRnn.Models;

namespace MnistRnn.Training.Callbacks;

/// <summary>The experiment's step lines, on the steps <see cref="TrainingOptions.LogCadence"/> measures the state of.</summary>
internal sealed class StepLogging : TrainingCallback
{
    public override void OnStepReported(TrainingContext context, StepMetrics metrics)
    {
        if (metrics.State is not { } state) return;
        string cell = context.Options.Cell.ToName();
        TrainingLog.Step(context.Logger, metrics.Step, metrics.Loss, metrics.Accuracy, cell, state.WeightMean, cell, state.OutputMean, metrics.GradNorm, state.Saturation);
    }
}
