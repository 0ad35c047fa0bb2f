using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Mnist;

/// <summary>Settings chosen by measurement for two goals on a 2-core CPU; docs/performance.md (Recipes) has their figures.</summary>
public static class TrainingRecipes
{
    /// <summary>
    /// Reach the experiment's 0.984 test accuracy in as little training time as possible: the experiment's
    /// LSTM, in batches of 256 (the fastest per sample here) for 800 steps (3.4 epochs) with a cosine decay
    /// of the learning rate after a 50-step warm-up, in bf16-mixed precision where this machine computes it faster
    /// (<see cref="Precision.Auto"/>; both precisions reach the same accuracy here).
    /// </summary>
    public static TrainingOptions Fast { get; } = new()
    {
        Cell = CellKind.Lstm,
        HiddenSize = 128,
        BatchSize = 256,
        Steps = 800,
        LearningRate = 0.01,
        Schedule = LearningRateSchedule.Cosine(warmupSteps: 50),
        Precision = Precision.Auto,
        LogCadence = LogCadence.EveryNSteps(100),
    };

    /// <summary>
    /// The highest LSTM test accuracy found within a few minutes of training on 2 cores: twice the hidden
    /// width (256), batches of 256 for 7000 steps (30 epochs), peak learning rate 0.007 with a 200-step
    /// warm-up and cosine decay.
    /// </summary>
    public static TrainingOptions Best { get; } = new()
    {
        Cell = CellKind.Lstm,
        HiddenSize = 256,
        BatchSize = 256,
        Steps = 7000,
        LearningRate = 0.007,
        Schedule = LearningRateSchedule.Cosine(warmupSteps: 200),
        LogCadence = LogCadence.EveryNSteps(1000),
    };

    /// <summary>The recipe called <paramref name="name"/> (fast or best), or null.</summary>
    public static TrainingOptions? Named(string name) => name.ToLowerInvariant() switch
    {
        "fast" => Fast,
        "best" => Best,
        _ => null,
    };
}
