using System.Text.Json;
using MnistRnn.IO;
using MnistRnn.Training;

namespace MnistRnn.Runner.Sweep;

/// <summary>The figures of a trial's <c>summary.json</c> (what <c>train --summary</c> wrote) that a sweep reports.</summary>
internal sealed record TrialSummary(double? TestAccuracy, double? TestLoss, double TrainSeconds, double SamplesPerSecond, int Threads,
    ValidationRecord? BestValidation)
{
    /// <summary>The summary in <paramref name="path"/>; null when there is none or it does not read as one.</summary>
    public static TrialSummary? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<TrialSummary>(RegularFile.ReadAllBytes(path, 1 << 20, "run summary"), JsonOutput.Options);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException || FileErrors.Refused(e))
        {
            return null;
        }
    }
}
