namespace MnistRnn.Training;

/// <summary>What a training run did. Per-step metrics go to <see cref="Trainer.StepCompleted"/> as they happen, so a long run keeps no history.</summary>
/// <param name="Steps">Steps completed by this call (after the resumed checkpoint's, when resuming).</param>
/// <param name="BatchSize">Sequences per step.</param>
/// <param name="TrainSeconds">Wall-clock seconds spent in the training loop.</param>
/// <param name="LastStep">The metrics of the last step.</param>
public sealed record TrainingResult(int Steps, int BatchSize, double TrainSeconds, StepMetrics LastStep)
{
    /// <summary>Training sequences processed per second.</summary>
    public double SamplesPerSecond => TrainSeconds > 0 ? Steps * (double)BatchSize / TrainSeconds : 0;
}
