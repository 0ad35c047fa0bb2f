using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using MnistRnn.Checkpoints;
using MnistRnn.IO;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Output;

/// <summary>
/// The JSON summary <c>train --summary PATH</c> writes (through <see cref="JsonOutput"/>), for scripts and dashboards, and what a
/// sweep's trials and <c>report</c> read back.
/// </summary>
internal sealed record RunSummary
{
    public required string Model { get; init; }
    public required int Steps { get; init; }
    public required int BatchSize { get; init; }
    public required double LearningRate { get; init; }
    public required double? ClipNorm { get; init; }
    public required double? ClipValue { get; init; }
    public required long Seed { get; init; }
    public required string Device { get; init; }
    public required int Threads { get; init; }
    public required string ThreadsChosenBy { get; init; }
    public required string Allocator { get; init; }
    public required bool DataIsVerifiedMnist { get; init; }
    public required double TestLoss { get; init; }
    public required double TestAccuracy { get; init; }
    public required double TrainSeconds { get; init; }
    public required double SamplesPerSecond { get; init; }
    public required double PeakWorkingSetMb { get; init; }
    [JsonPropertyName("working_set_mb_at_step_500")] public required double? WorkingSetMbAtStep500 { get; init; }
    public required double? WorkingSetMbAtLastStep { get; init; }
    public required string? Checkpoint { get; init; }

    /// <summary>Training images held out to validate on (--validation); null when none were.</summary>
    public int? ValidationImages { get; init; }

    /// <summary>The best validation of the run; null without validation.</summary>
    public ValidationRecord? BestValidation { get; init; }

    /// <summary>The step after which early stopping or the time budget ended the run; null when it ran all its steps.</summary>
    public int? StoppedEarlyAfterStep { get; init; }

    /// <summary>The step whose weights were evaluated on the test set (the best validation's with --early-stop or --keep-best).</summary>
    public int WeightsFromStep { get; init; }

    /// <summary>The best validation's checkpoint (--keep-best); null without one.</summary>
    public string? BestCheckpoint { get; init; }

    /// <summary>What ended the run before its last step: early_stopping, time_budget or callback; null when it ran all its steps.</summary>
    public string? StoppedBy { get; init; }

    /// <summary>The step at which the stall warning saw the loss stay near chance (--stall-window); null when it did not.</summary>
    public int? StalledAtStep { get; init; }

    /// <summary>The stall's likely cause and the usual fixes, naming train's flags; null without a stall.</summary>
    public string? StallAdvice { get; init; }

    /// <summary>The number format of its passes: 32 or bf16-mixed (what --precision auto chose, when given).</summary>
    public required string Precision { get; init; }

    /// <summary>Why: given, the resumed checkpoint's, or the measurement or CPU features --precision auto decided on.</summary>
    public required string PrecisionChosenBy { get; init; }

    /// <summary>True when bf16-mixed ran on a CPU without bfloat16 instructions, so emulated and several times slower.</summary>
    public bool PrecisionEmulated { get; init; }

    /// <summary>The summary in <paramref name="path"/>; null when there is none or it does not read as one (see <see cref="Problem"/>).</summary>
    public static RunSummary? Read(string path) => ReadChecked(path).Summary;

    /// <summary>Why the file at <paramref name="path"/> is not a summary train writes, in a phrase; null when it is one or there is none.</summary>
    public static string? Problem(string path) => ReadChecked(path).Problem;

    private static (RunSummary? Summary, string? Problem) ReadChecked(string path)
    {
        if (!File.Exists(path)) return (null, null);
        RunSummary? summary;
        try
        {
            summary = JsonSerializer.Deserialize<RunSummary>(RegularFile.ReadAllBytes(path, 1 << 20, "run summary"), JsonOutput.Options);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or NotSupportedException || FileErrors.Refused(e))
        {
            return (null, "it is not a run summary's JSON");
        }
        // What train writes, and nothing a crafted file could slip into a report or a baseline. A diverged run's loss is NaN.
        string? problem = summary is null ? "it is empty"
            : summary.TestAccuracy is not (>= 0 and <= 1) ? $"a test accuracy of {summary.TestAccuracy}"
            : summary.TestLoss < 0 || double.IsInfinity(summary.TestLoss) ? $"a test loss of {summary.TestLoss}"
            : !(summary.TrainSeconds >= 0 && double.IsFinite(summary.TrainSeconds)) ? $"{summary.TrainSeconds} s of training"
            : !(summary.SamplesPerSecond >= 0 && double.IsFinite(summary.SamplesPerSecond)) ? $"{summary.SamplesPerSecond} samples/s"
            : summary.Threads is < 1 or > 4096 ? $"{summary.Threads} threads"
            : summary.BestValidation is { } best && best.Accuracy is not (>= 0 and <= 1) ? $"a best validation accuracy of {best.Accuracy}"
            : null;
        return problem is null ? (summary, null) : (null, problem);
    }

    /// <summary>The summary of a run of <paramref name="options"/> that trained as <paramref name="training"/> says and tested as <paramref name="evaluation"/> says.</summary>
    public static RunSummary Of(TrainingOptions options, TrainingResult training, EvaluationResult evaluation, string device, bool verifiedMnist,
        WorkingSetWatch memory, int heldOut, CheckpointStore checkpoints, Diagnostics.Stall? stall, Func<string, string> flagOf) => new()
    {
        Model = options.Cell.ToName(),
        Steps = training.Steps,
        BatchSize = options.BatchSize,
        LearningRate = options.LearningRate,
        ClipNorm = options.ClipNorm,
        ClipValue = options.ClipValue,
        Seed = options.Seed,
        Device = device,
        Threads = training.ThreadChoice.Threads,
        ThreadsChosenBy = ThreadsOption.SourceOf(training.ThreadChoice),
        Allocator = AllocatorOption.InEffect,
        DataIsVerifiedMnist = verifiedMnist,
        TestLoss = evaluation.Loss,
        TestAccuracy = evaluation.Accuracy,
        TrainSeconds = Math.Round(training.TrainSeconds, 3),
        SamplesPerSecond = Math.Round(training.SamplesPerSecond, 1),
        PeakWorkingSetMb = WorkingSetWatch.Megabytes(Process.GetCurrentProcess().PeakWorkingSet64),
        WorkingSetMbAtStep500 = memory.AtStep500,
        WorkingSetMbAtLastStep = memory.AtLastStep,
        Checkpoint = training.LastCheckpoint,
        ValidationImages = heldOut > 0 ? heldOut : null,
        BestValidation = training.BestValidation,
        StoppedEarlyAfterStep = training.StoppedEarly ? training.LastStepNumber : null,
        WeightsFromStep = training.WeightsFromStep,
        BestCheckpoint = checkpoints.KeepBest ? CheckpointStore.Best(checkpoints.Folder) : null,
        Precision = training.PrecisionChoice.Precision.ToName(),
        PrecisionChosenBy = training.PrecisionChoice.Reason,
        PrecisionEmulated = training.PrecisionChoice.Emulated,
        StalledAtStep = stall?.Step,
        StallAdvice = stall?.AdviceNaming(flagOf),
        StoppedBy = training.StoppedBy == TrainingStop.AllSteps ? null : System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(training.StoppedBy.ToString()),
    };
}
