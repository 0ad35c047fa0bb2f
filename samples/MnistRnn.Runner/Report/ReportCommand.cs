using System.CommandLine;
using MnistRnn.Runner.Sweep;

namespace MnistRnn.Runner.Report;

/// <summary><c>mnist-rnn report DIR</c>: the table of a sweep so far, written into its folder and printed.</summary>
internal sealed class ReportCommand(RunnerConsole console)
{
    private readonly RunnerConsole _console = console;

    private readonly Argument<string> _folder = new("DIR") { Description = "The sweep's folder (its --out)." };
    private readonly Option<string[]> _pool = new("--pool")
    {
        Description = "Axes whose values share one row (for example threads, to see every thread count's trials as one distribution).",
        HelpName = "KEY",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string?> _baseline = new("--baseline")
    {
        Description = "Also write each configuration's test accuracies as a baseline file (CONFIGURATION.baseline.json) into this folder, for Matches.Baseline.",
        HelpName = "DIR",
    };

    public Command Build()
    {
        var command = new Command("report", "Summarise a sweep: per configuration, the median, range and interquartile range of test accuracy, with a plot of the spread.");
        command.Arguments.Add(_folder);
        command.Options.Add(_pool);
        command.Options.Add(_baseline);
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        string folder = Path.GetFullPath(parse.GetValue(_folder)!);
        if (File.Exists(folder))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"report: {parse.GetValue(_folder)} is a file; give the --out folder of a sweep.");
        if (!Directory.Exists(folder))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"report: folder {parse.GetValue(_folder)} does not exist; give the --out folder of a sweep.");
        var plan = SweepFolder.ReadPlan(folder);
        // A comparison's trials write metrics folders, and its own report.md is the one this would replace.
        if (TrialFolder.All(folder, plan).Any(t => Directory.Exists(t.Metrics)))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"report: {folder} is a comparison's folder, whose report is its report.md; the same compare command with --out {folder} writes it again.");
        var report = SweepReport.Create(folder, plan, parse.GetValue(_pool) ?? []);
        var baselines = parse.GetValue(_baseline) is { } baselineFolder ? SweepBaselines.Write(report, baselineFolder) : [];
        report.WriteTo(folder);
        _console.Out.Write(report.ToConsoleText());
        foreach (string file in baselines) _console.Error.WriteLine($"baseline: {file}");
        _console.Error.WriteLine($"next: read {Path.Combine(folder, SweepReport.MarkdownFile)}; {Path.Combine(folder, SweepReport.PlotFile)} shows the spread");
        return ExitCodes.Success;
    }
}
