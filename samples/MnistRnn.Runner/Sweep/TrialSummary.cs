using System.Text.Json;
using MnistRnn.IO;
using MnistRnn.Training;

namespace MnistRnn.Runner.Sweep;

/// <summary>The figures of a trial's <c>summary.json</c> (what <c>train --summary</c> wrote) that a sweep reports.</summary>
internal sealed record TrialSummary(double? TestAccuracy, double? TestLoss, double TrainSeconds, double SamplesPerSecond, int Threads,
    ValidationRecord? BestValidation)
{
    /// <summary>The summary in <paramref name="path"/>; null when there is none or it does not read as one (see <see cref="Problem"/>).</summary>
    public static TrialSummary? Read(string path) => ReadChecked(path).Summary;

    /// <summary>Why the file at <paramref name="path"/> is not a summary train writes, in a phrase; null when it is one or there is none.</summary>
    public static string? Problem(string path) => ReadChecked(path).Problem;

    private static (TrialSummary? Summary, string? Problem) ReadChecked(string path)
    {
        if (!File.Exists(path)) return (null, null);
        TrialSummary? summary;
        try
        {
            summary = JsonSerializer.Deserialize<TrialSummary>(RegularFile.ReadAllBytes(path, 1 << 20, "run summary"), JsonOutput.Options);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException || FileErrors.Refused(e))
        {
            return (null, "it is not a run summary's JSON");
        }
        // What train writes, and nothing a crafted file could slip into a report or a baseline.
        string? problem = summary is null ? "it is empty"
            : summary.TestAccuracy is not (null or >= 0 and <= 1) ? $"a test accuracy of {summary.TestAccuracy}"
            : summary.TestLoss is double loss && loss < 0 ? $"a test loss of {loss}"
            : !(summary.TrainSeconds >= 0 && double.IsFinite(summary.TrainSeconds)) ? $"{summary.TrainSeconds} s of training"
            : !(summary.SamplesPerSecond >= 0 && double.IsFinite(summary.SamplesPerSecond)) ? $"{summary.SamplesPerSecond} samples/s"
            : summary.Threads is < 1 or > 4096 ? $"{summary.Threads} threads"
            : summary.BestValidation is { } best && best.Accuracy is not (>= 0 and <= 1) ? $"a best validation accuracy of {best.Accuracy}"
            : null;
        return problem is null ? (summary, null) : (null, problem);
    }
}
