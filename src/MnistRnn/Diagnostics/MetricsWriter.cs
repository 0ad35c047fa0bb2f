using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MnistRnn.Training;

namespace MnistRnn.Diagnostics;

/// <summary>
/// Writes every step's <see cref="StepMetrics"/> as a row of <c>metrics.csv</c> and a line of
/// <c>metrics.jsonl</c> in one folder, so spreadsheets, pandas or jq can read a run. Values measured only
/// on logged steps are empty in the CSV and null in the JSON on other steps.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    /// <summary>The CSV header, in column order.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "step", "epoch", "loss", "accuracy", "grad_norm", "clipped", "elapsed_seconds",
        "weight_mean", "weight_std", "output_mean", "output_std", "saturation",
    ];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // A diverged run's NaN or infinite loss is data too; JSON has no literal for it, so it is written as a string.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly StreamWriter _csv;
    private readonly StreamWriter _jsonLines;

    /// <summary>Creates (or replaces) metrics.csv and metrics.jsonl in <paramref name="folder"/>, creating the folder.</summary>
    public MetricsWriter(string folder)
    {
        Directory.CreateDirectory(folder);
        CsvPath = Path.Combine(folder, "metrics.csv");
        JsonLinesPath = Path.Combine(folder, "metrics.jsonl");
        _csv = new StreamWriter(CsvPath);
        _jsonLines = new StreamWriter(JsonLinesPath);
        _csv.WriteLine(string.Join(',', Columns));
    }

    /// <summary>Path of the CSV file.</summary>
    public string CsvPath { get; }

    /// <summary>Path of the JSON lines file.</summary>
    public string JsonLinesPath { get; }

    /// <summary>Appends one step.</summary>
    public void Write(StepMetrics metrics)
    {
        var state = metrics.State;
        string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
        _csv.WriteLine(string.Join(',',
            metrics.Step.ToString(CultureInfo.InvariantCulture), metrics.Epoch.ToString(CultureInfo.InvariantCulture),
            Number(metrics.Loss), Number(metrics.Accuracy), Number(metrics.GradNorm), metrics.Clipped ? "1" : "0",
            Number(metrics.Elapsed.TotalSeconds), Number(state?.WeightMean), Number(state?.WeightStd),
            Number(state?.OutputMean), Number(state?.OutputStd), Number(state?.Saturation)));
        var line = new
        {
            metrics.Step,
            metrics.Epoch,
            metrics.Loss,
            metrics.Accuracy,
            metrics.GradNorm,
            metrics.Clipped,
            ElapsedSeconds = metrics.Elapsed.TotalSeconds,
            state?.WeightMean,
            state?.WeightStd,
            state?.OutputMean,
            state?.OutputStd,
            state?.Saturation,
        };
        _jsonLines.WriteLine(JsonSerializer.Serialize(line, JsonOptions));
    }

    /// <summary>Flushes and closes both files.</summary>
    public void Dispose()
    {
        _csv.Dispose();
        _jsonLines.Dispose();
    }
}
