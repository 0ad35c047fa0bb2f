using MnistRnn.Diagnostics;
using MnistRnn.Training;

namespace MnistRnn.Runner.Compare;

/// <summary>Everything <c>compare</c> keeps of one finished run: its step metrics, measurements and test result.</summary>
internal sealed record RunOutcome(
    RunSpec Spec,
    TrainingOptions Options,
    IReadOnlyList<StepMetrics> Steps,
    IReadOnlyList<GradientFlowMeasurement> GradientFlow,
    Stall? Stall,
    EvaluationResult Test,
    TrainingResult Training,
    float[] FinalHiddenState)
{
    /// <summary>Batch accuracy a run must reach to count as having learned the task.</summary>
    public const double LearnedAccuracy = 0.9;

    /// <summary>First step whose batch accuracy reached <see cref="LearnedAccuracy"/>, or null.</summary>
    public int? StepReachingLearnedAccuracy => Steps.FirstOrDefault(s => s.Accuracy >= LearnedAccuracy)?.Step;

    /// <summary>Largest gradient norm before clipping.</summary>
    public double MaxGradNorm => Steps.Max(s => s.GradNorm);

    /// <summary>Median gradient norm before clipping.</summary>
    public double MedianGradNorm
    {
        get
        {
            var sorted = Steps.Select(s => s.GradNorm).Order().ToArray();
            return sorted[sorted.Length / 2];
        }
    }

    /// <summary>Fraction of steps whose gradients norm clipping rescaled.</summary>
    public double ClippedFraction => Steps.Count(s => s.Clipped) / (double)Steps.Count;

    /// <summary>Saturation at the last logged step (the last step, unless early stopping ended the run).</summary>
    public double FinalSaturation => Steps.LastOrDefault(s => s.State is not null)?.State!.Saturation ?? double.NaN;
}
