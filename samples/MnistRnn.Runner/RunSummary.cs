using System.Text.Json;
using System.Text.Json.Serialization;

namespace MnistRnn.Runner;

/// <summary>The JSON summary <c>train --summary PATH</c> writes, for scripts and dashboards.</summary>
internal sealed record RunSummary(
    string Model,
    int Steps,
    int BatchSize,
    double LearningRate,
    double? ClipNorm,
    double? ClipValue,
    long Seed,
    string Device,
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
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Writes the summary to <paramref name="path"/> through a temporary file, so a reader never sees half of it.</summary>
    public void WriteTo(string path)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json) + Environment.NewLine);
        File.Move(temporary, path, overwrite: true);
    }
}
