using MnistRnn.Diagnostics;
using static TorchSharp.torch;

namespace MnistRnn.Training.Callbacks;

/// <summary>
/// Measures <see cref="GradientFlow"/> on a fixed probe batch (the first <see cref="Trainer.ProbeSize"/> training
/// sequences) after each step of <see cref="TrainingOptions.GradientFlowSteps"/>, and tells every callback.
/// </summary>
internal sealed class GradientFlowProbe : TrainingCallback
{
    public override void OnTrainingStart(TrainingContext context) => MeasureIfDue(context);

    public override void OnStepEnd(TrainingContext context) => MeasureIfDue(context);

    private static void MeasureIfDue(TrainingContext context)
    {
        if (!context.Options.GradientFlowSteps.Contains(context.Step)) return;
        using var scope = NewDisposeScope();
        var train = context.Train;
        int size = Math.Min(Trainer.ProbeSize, train.Count);
        var norms = GradientFlow.Measure(context.Model, train.Narrow(0, size), train.Labels.narrow(0, 0, size));
        context.Notify(new GradientFlowMeasurement(context.Step, norms));
    }
}
