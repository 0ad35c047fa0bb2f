using System.Globalization;
using System.Text;
using MnistRnn.Models;

namespace MnistRnn.Runner.Compare;

/// <summary>The side-by-side table of <c>compare</c>, as console text, Markdown and CSV.</summary>
internal sealed class ComparisonTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Column keys of the CSV, in order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "run", "cell", "test_accuracy", "test_loss", "train_seconds", "samples_per_second", "step_batch_accuracy_0_9",
        "max_grad_norm", "median_grad_norm", "clipped_fraction", "final_saturation", "stall_step",
    ];

    private static readonly string[] Headings =
    [
        "run", "cell", "test acc", "test loss", "train s", "samples/s", "step to 0.9", "max grad norm",
        "median grad norm", "clipped", "final saturation", "stalled at",
    ];

    private readonly IReadOnlyList<RunOutcome> _runs;

    public ComparisonTable(IReadOnlyList<RunOutcome> runs) => _runs = runs;

    private IEnumerable<string[]> Rows(bool raw) => _runs.Select(r => new[]
    {
        r.Spec.Label,
        r.Spec.Model.ToName(),
        Format(r.Summary.TestAccuracy, raw ? "R" : "F4"),
        Format(r.Summary.TestLoss, raw ? "R" : "F4"),
        Format(r.Summary.TrainSeconds, raw ? "R" : "F1"),
        Format(r.Summary.SamplesPerSecond, raw ? "R" : "N0"),
        r.StepReachingLearnedAccuracy?.ToString(Invariant) ?? (raw ? "" : "never"),
        Format(r.MaxGradNorm, raw ? "R" : "G4"),
        Format(r.MedianGradNorm, raw ? "R" : "G4"),
        raw ? Format(r.ClippedFraction, "R") : $"{Format(r.ClippedFraction * 100, "F0")}%",
        Format(r.FinalSaturation, raw ? "R" : "F3"),
        r.Summary.StalledAtStep?.ToString(Invariant) ?? (raw ? "" : "-"),
    });

    private static string Format(double value, string format) => value.ToString(format, Invariant);

    /// <summary>Columns padded to line up in a terminal.</summary>
    public string ToConsoleText()
    {
        var rows = Rows(raw: false).Prepend(Headings).ToList();
        int[] widths = Enumerable.Range(0, Headings.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        return text.ToString();
    }

    /// <summary>A GitHub-flavoured Markdown table.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"| {string.Join(" | ", Headings)} |");
        text.AppendLine($"|{string.Join("|", Headings.Select((_, c) => c < 2 ? "---" : "---:"))}|");
        foreach (var row in Rows(raw: false))
            text.AppendLine($"| {string.Join(" | ", row)} |");
        return text.ToString();
    }

    /// <summary>CSV with full-precision numbers and empty cells for "never" and "no stall".</summary>
    public string ToCsv()
    {
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', CsvColumns));
        foreach (var row in Rows(raw: true))
            text.AppendLine(string.Join(',', row.Select(Quote)));
        return text.ToString();
    }

    // Labels such as "irnn:lr=0.001,clip-norm=1" contain commas.
    private static string Quote(string cell) => cell.Contains(',') || cell.Contains('"') ? $"\"{cell.Replace("\"", "\"\"")}\"" : cell;
}
