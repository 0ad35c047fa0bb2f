using MnistRnn.Training;

namespace MnistRnn.Runner.Output;

/// <summary>
/// The process's working set after step 500 and after the last step: the window in which memory must stay flat, which
/// <c>--summary</c> reports.
/// </summary>
internal sealed class WorkingSetWatch(int lastStep) : TrainingCallback
{
    public double? AtStep500 { get; private set; }

    public double? AtLastStep { get; private set; }

    public override void OnStepReported(TrainingContext context, StepMetrics metrics)
    {
        if (metrics.Step == 500) AtStep500 = Megabytes(Environment.WorkingSet);
        if (metrics.Step == lastStep) AtLastStep = Megabytes(Environment.WorkingSet);
    }

    // A run that stopped early never reached its last step: its working set when training returned stands for it.
    public override void OnTrainingEnd(TrainingContext context, TrainingResult result) => AtLastStep ??= Megabytes(Environment.WorkingSet);

    public static double Megabytes(long bytes) => Math.Round(bytes / 1048576.0, 1);
}
