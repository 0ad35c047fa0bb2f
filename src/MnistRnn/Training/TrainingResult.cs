namespace MnistRnn.Training;

/// <summary>What a training run did.</summary>
/// <param name="Steps">Steps completed.</param>
/// <param name="BatchSize">Sequences per step.</param>
/// <param name="TrainSeconds">Wall-clock seconds spent in the training loop.</param>
/// <param name="History">The metrics of every step, in order.</param>
public sealed record TrainingResult(int Steps, int BatchSize, double TrainSeconds, IReadOnlyList<StepMetrics> History)
{
    /// <summary>Training sequences processed per second.</summary>
    public double SamplesPerSecond => TrainSeconds > 0 ? Steps * (double)BatchSize / TrainSeconds : 0;
}
