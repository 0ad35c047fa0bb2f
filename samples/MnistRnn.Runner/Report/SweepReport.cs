using System.Globalization;
using System.Text;
using MnistRnn.Runner.Output;
using MnistRnn.Runner.Sweep;

namespace MnistRnn.Runner.Report;

/// <summary>
/// What a sweep found: one row per configuration with the spread of its trials' test accuracy (and best validation accuracy
/// when they validated), their training time and speed; and the trials that have no result yet. Written as
/// <c>report.md</c>, <c>report.json</c> and <c>spread.png</c> into the sweep's folder.
/// </summary>
internal sealed class SweepReport
{
    public const string MarkdownFile = "report.md", JsonFile = "report.json", PlotFile = "spread.png";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>One configuration: its trials' figures in plan order (null accuracy: diverged).</summary>
    public sealed record Row(string Configuration, int Planned, IReadOnlyList<FinishedTrial> Trials)
    {
        public Distribution? TestAccuracy => Distribution.Of(Trials.Where(t => t.TestAccuracy is not null).Select(t => t.TestAccuracy!.Value));

        public Distribution? BestValidationAccuracy => Distribution.Of(Trials.Where(t => t.BestValidationAccuracy is not null).Select(t => t.BestValidationAccuracy!.Value));

        public Distribution? TrainSeconds => Distribution.Of(Trials.Select(t => t.TrainSeconds));

        public Distribution? SamplesPerSecond => Distribution.Of(Trials.Select(t => t.SamplesPerSecond));

        public int Diverged => Trials.Count(t => t.TestAccuracy is null);
    }

    /// <summary>A trial with a final result.</summary>
    public sealed record FinishedTrial(int Trial, long Seed, int Threads, double? TestAccuracy, double? BestValidationAccuracy, double TrainSeconds, double SamplesPerSecond,
        [property: System.Text.Json.Serialization.JsonIgnore] string? Machine);

    /// <summary>A trial without a final result: not started, running or interrupted (pending), or failed.</summary>
    public sealed record MissingTrial(SweepTrial Trial, string Status);

    private SweepReport(string folder, IReadOnlyList<Row> rows, IReadOnlyList<MissingTrial> missing, IReadOnlyList<string> pooled)
    {
        Folder = folder;
        Rows = rows;
        Missing = missing;
        Pooled = pooled;
    }

    public string Folder { get; }

    public IReadOnlyList<Row> Rows { get; }

    public IReadOnlyList<MissingTrial> Missing { get; }

    /// <summary>Axes whose values were pooled into one row (<c>report --pool threads</c>).</summary>
    public IReadOnlyList<string> Pooled { get; }

    /// <summary>The report of the sweep in <paramref name="folder"/>; trials differing only in a <paramref name="pooled"/> axis share a row.</summary>
    /// <exception cref="UserErrorException">A pooled axis is not one of the plan's (exit 2), or a trial's files are not a sweep's (exit 3).</exception>
    public static SweepReport Create(string folder, SweepPlan plan, IReadOnlyList<string> pooled)
    {
        var axes = plan.Configurations.SelectMany(c => c.Split(' ')).Where(w => w.Contains('=')).Select(w => w[..w.IndexOf('=')]).Distinct().ToList();
        if (pooled.FirstOrDefault(key => !axes.Contains(key)) is { } unknown)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--pool {unknown}: the sweep has no such axis; {(axes.Count == 0 ? "it varies nothing" : $"its axes are {string.Join(", ", axes)}")}.");
        var finished = new List<(string Configuration, FinishedTrial Trial)>();
        var missing = new List<MissingTrial>();
        foreach (var trial in TrialFolder.All(folder, plan))
        {
            string configuration = RowLabel(trial.Trial.Configuration, pooled);
            trial.EnsureOwnFolder();
            var result = trial.ReadResult();
            if (result is { IsFinal: true } && RunSummary.Problem(trial.Summary) is { } problem)
                throw new UserErrorException(ExitCodes.InvalidData,
                    $"{trial.Summary} is not a summary train writes ({problem}); delete it and the trial's result.json to have the sweep train trial {trial.Trial.Number} again.");
            var summary = RunSummary.Read(trial.Summary);
            if (result is { Status: TrialResult.Diverged })
                finished.Add((configuration, new FinishedTrial(trial.Trial.Number, trial.Trial.Seed, trial.Trial.Threads, null, null, summary?.TrainSeconds ?? 0,
                    summary?.SamplesPerSecond ?? 0, result.Machine)));
            else if (result is { Status: TrialResult.Finished } && summary is not null)
                finished.Add((configuration, new FinishedTrial(trial.Trial.Number, trial.Trial.Seed, summary.Threads, summary.TestAccuracy,
                    summary.BestValidation?.Accuracy, summary.TrainSeconds, summary.SamplesPerSecond, result.Machine)));
            else
                missing.Add(new MissingTrial(trial.Trial, result?.Status == TrialResult.Failed ? TrialResult.Failed : "pending"));
        }
        var planned = plan.Trials.GroupBy(t => RowLabel(t.Configuration, pooled)).ToDictionary(g => g.Key, g => g.Count());
        var rows = planned.Keys.Select(c => new Row(c, planned[c], finished.Where(f => f.Configuration == c).Select(f => f.Trial).ToList())).ToList();
        return new SweepReport(folder, rows, missing, pooled);
    }

    // A configuration's label without the pooled axes' key=value words.
    private static string RowLabel(string configuration, IReadOnlyList<string> pooled)
    {
        if (pooled.Count == 0) return configuration;
        string label = string.Join(' ', configuration.Split(' ').Where(word => !pooled.Any(key => word.StartsWith(key + "=", StringComparison.Ordinal))));
        return label.Length == 0 ? "all" : label;
    }

    // The best validation's columns appear only when some trial validated.
    private bool Validated => Rows.Any(r => r.BestValidationAccuracy is not null);

    private string[] Headings =>
    [
        "configuration", "n", "test acc median", "range", "IQR",
        .. Validated ? (string[])["best val acc median", "best val range", "best val IQR"] : [],
        "train s median", "samples/s median", "test accuracies (plan order)",
    ];

    private IEnumerable<string[]> Cells() => Rows.Select(row => (string[])
    [
        row.Configuration,
        row.Diverged > 0 ? $"{row.Trials.Count}/{row.Planned} ({row.Diverged} diverged)" : $"{row.Trials.Count}/{row.Planned}",
        .. Spread(row.TestAccuracy),
        .. Validated ? Spread(row.BestValidationAccuracy) : [],
        Format(row.TrainSeconds?.Median, "F1"),
        Format(row.SamplesPerSecond?.Median, "N0"),
        string.Join(", ", row.Trials.Select(t => Format(t.TestAccuracy, "F4"))),
    ]);

    private static string[] Spread(Distribution? accuracy) =>
    [
        Format(accuracy?.Median, "F4"),
        accuracy is { } a ? $"{Format(a.Min, "F4")} to {Format(a.Max, "F4")}" : "-",
        Format(accuracy?.InterquartileRange, "F4"),
    ];

    private static string Format(double? value, string format) => value?.ToString(format, Invariant) ?? "-";

    /// <summary>The table and the trials without a result, in columns for a terminal.</summary>
    public string ToConsoleText()
    {
        string[] headings = Headings;
        var rows = Cells().Prepend(headings).ToList();
        int[] widths = Enumerable.Range(0, headings.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c == 0 || c == headings.Length - 1 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        AppendMissing(text);
        return text.ToString();
    }

    /// <summary>The report as Markdown: the table, how to read it, and the trials without a result.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"# Sweep report: {Path.GetFileName(Folder)}");
        text.AppendLine();
        text.AppendLine("Test accuracy over all test images (and the best validation's accuracy, where trials validated), per configuration: median, range " +
            "(min to max) and interquartile range over the trials that finished; " +
            $"a diverged trial counts in n but has no accuracy.{(Pooled.Count > 0 ? $" Pooled over: {string.Join(", ", Pooled)}." : "")}");
        text.AppendLine();
        string[] headings = Headings;
        text.AppendLine($"| {string.Join(" | ", headings)} |");
        text.AppendLine($"|{string.Join("|", headings.Select((_, c) => c == 0 || c == headings.Length - 1 ? "---" : "---:"))}|");
        foreach (var row in Cells()) text.AppendLine($"| {string.Join(" | ", row)} |");
        text.AppendLine();
        text.AppendLine($"![spread of test accuracy]({PlotFile})");
        if (Missing.Count > 0)
        {
            text.AppendLine();
            AppendMissing(text);
        }
        return text.ToString();
    }

    private void AppendMissing(StringBuilder text)
    {
        if (Missing.Count == 0) return;
        foreach (var group in Missing.GroupBy(m => m.Status))
            text.AppendLine($"{group.Count()} trial{(group.Count() == 1 ? "" : "s")} {(group.Key == TrialResult.Failed ? "failed" : "without a result yet")}: " +
                string.Join(", ", group.Select(m => m.Trial.Number.ToString(Invariant))));
    }

    /// <summary>Writes the Markdown, the JSON and the plot into <paramref name="folder"/>.</summary>
    /// <exception cref="UserErrorException">A file cannot be written (exit 5).</exception>
    public void WriteTo(string folder)
    {
        try
        {
            MnistRnn.IO.AtomicFile.WriteAllText(Path.Combine(folder, MarkdownFile), ToMarkdown());
            MnistRnn.IO.AtomicFile.WriteAllText(Path.Combine(folder, JsonFile), JsonOutput.Serialize(new
            {
                Pooled,
                Configurations = Rows.Select(r => new
                {
                    r.Configuration, r.Planned, Finished = r.Trials.Count, r.Diverged, r.TestAccuracy, r.BestValidationAccuracy, r.TrainSeconds, r.SamplesPerSecond, r.Trials,
                }),
                Missing = Missing.Select(m => new { m.Trial.Number, m.Trial.Configuration, m.Trial.Seed, m.Status }),
            }) + Environment.NewLine);
            MnistRnn.IO.AtomicFile.Write(Path.Combine(folder, PlotFile), temporary => SpreadPlot.Save(this, temporary));
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"cannot write the report into {folder} ({e.Message}).");
        }
    }
}
