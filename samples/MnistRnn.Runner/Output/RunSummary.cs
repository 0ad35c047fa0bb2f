using System.Text.Json.Serialization;
using MnistRnn.Training;

namespace MnistRnn.Runner.Output;

/// <summary>The JSON summary <c>train --summary PATH</c> writes (through <see cref="JsonOutput"/>), for scripts and dashboards.</summary>
internal sealed record RunSummary(
    string Model,
    int Steps,
    int BatchSize,
    double LearningRate,
    double? ClipNorm,
    double? ClipValue,
    long Seed,
    string Device,
    int Threads,
    string ThreadsChosenBy,
    string Allocator,
    bool DataIsVerifiedMnist,
    double TestLoss,
    double TestAccuracy,
    double TrainSeconds,
    double SamplesPerSecond,
    double PeakWorkingSetMb,
    [property: JsonPropertyName("working_set_mb_at_step_500")] double? WorkingSetMbAtStep500,
    double? WorkingSetMbAtLastStep,
    string? Checkpoint)
{
    /// <summary>Training images held out to validate on (--validation); null when none were.</summary>
    public int? ValidationImages { get; init; }

    /// <summary>The best validation of the run; null without validation.</summary>
    public ValidationRecord? BestValidation { get; init; }

    /// <summary>The step after which early stopping ended the run; null when it ran all its steps.</summary>
    public int? StoppedEarlyAfterStep { get; init; }

    /// <summary>The step whose weights were evaluated on the test set (the best validation's with --early-stop or --keep-best).</summary>
    public int WeightsFromStep { get; init; }

    /// <summary>The best validation's checkpoint (--keep-best); null without one.</summary>
    public string? BestCheckpoint { get; init; }
}
