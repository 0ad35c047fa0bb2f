using System.Text.Json.Serialization;

namespace MnistRnn.Runner;

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
    string? Checkpoint);
