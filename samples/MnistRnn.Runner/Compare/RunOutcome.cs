using MnistRnn.Training;

namespace MnistRnn.Runner.Compare;

/// <summary>Everything <c>compare</c> reads back of one finished run: its trial folder (relative to the report's), its summary and its metrics.</summary>
internal sealed record RunOutcome(RunSpec Spec, string Folder, RunSummary Summary, MetricsFolder.Contents Metrics)
{
    public IReadOnlyList<StepMetrics> Steps => Metrics.Steps;

    /// <summary>The step it stopped after: its last, unless early stopping or the time budget ended it sooner.</summary>
    public int LastStepNumber => Summary.StoppedEarlyAfterStep ?? Summary.Steps;

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
