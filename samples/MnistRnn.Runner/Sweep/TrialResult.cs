using System.Text.Json;
using System.Text.Json.Serialization;
using MnistRnn.IO;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// How a trial's last attempt ended, written as <c>result.json</c> in its folder: finished (its summary is beside it),
/// diverged (a result too: the setting does that), or failed (tried again by the next sweep). An interrupted attempt
/// writes none, and the next one resumes from the trial's checkpoint.
/// </summary>
internal sealed record TrialResult(int Trial, string Status, int ExitCode, string? Message, double WallSeconds, int Threads, string? Machine)
{
    public const string Finished = "finished", Diverged = "diverged", Failed = "failed";

    /// <summary>Whether the trial needs no further attempt.</summary>
    [JsonIgnore]
    public bool IsFinal => Status is Finished or Diverged;

    /// <summary>The result in <paramref name="path"/>; null when there is none or it does not read (the trial is then run again).</summary>
    public static TrialResult? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var result = JsonSerializer.Deserialize<TrialResult>(RegularFile.ReadAllBytes(path, 1 << 20, "trial result"), JsonOutput.Options);
            return result is { Status: Finished or Diverged or Failed } ? result : null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException || FileErrors.Refused(e))
        {
            return null;
        }
    }
}
