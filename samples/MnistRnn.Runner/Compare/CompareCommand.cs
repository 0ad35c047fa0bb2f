using System.CommandLine;
using MnistRnn.Data;
using MnistRnn.Training;

namespace MnistRnn.Runner.Compare;

/// <summary>
/// <c>mnist-rnn compare</c>: trains several configurations with the same seed and step budget and
/// writes a report folder: a table (console, Markdown, CSV), per-run metrics and the figures.
/// </summary>
internal sealed class CompareCommand(RunnerConsole console)
{
    private readonly RunnerConsole _console = console;

    private readonly TrainFlags _flags = new();
    private readonly Option<string[]> _runs = new("--runs")
    {
        Description = "Configurations to compare, each CELL[:key=value,...] with keys named as train's flags (lr, clip-norm, clip-value, hidden, layers, " +
            "bidirectional, dropout, weight-decay, schedule, ...; a clip of 0 is off); unset values come from the other flags.",
        HelpName = "spec",
        AllowMultipleArgumentsPerToken = true,
        DefaultValueFactory = _ => [.. RunSpec.Defaults],
    };
    private readonly Option<string?> _out = new("--out")
    {
        Description = "Report folder; it must not exist or be empty [default: compare-YYYYMMDD-HHMMSS in the current directory].",
    };

    public Command Build()
    {
        var command = new Command("compare", "Train several configurations with the same seed and budget, then write a report with a table and plots.");
        command.Options.Add(_runs);
        command.Options.Add(_out);
        _flags.AddSharedTo(command);
        command.SetAction((parse, cancellationToken) => Task.Run(() => Run(parse, cancellationToken), CancellationToken.None));
        return command;
    }

    private int Run(ParseResult parse, CancellationToken cancellationToken)
    {
        // Everything the user typed is checked before any training starts.
        var shared = _flags.ReadOptions(parse);
        var specs = parse.GetValue(_runs)!.Select(text => RunSpec.Parse(text, _flags.RunSpecKeys)).ToList();
        if (specs.Count == 0) throw new UserErrorException(ExitCodes.InvalidArguments, "--runs: give at least one configuration.");
        var duplicate = specs.GroupBy(s => s.Slug).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--runs: '{duplicate.First().Label}' is given twice; each configuration must differ.");
        var runOptions = specs.Select(spec => ValidOptions(spec, shared)).ToList();
        HeldOutImages.EnsureGiven(parse.GetValue(_flags.Validation), runOptions);
        string dataFolder = DataFolder.Resolve(parse.GetValue(_flags.Data));
        string? logDir = LogDirectory.Prepare(parse.GetValue(_flags.LogDir));
        using var claim = EmptyFolder.Claim(parse.GetValue(_out) ?? $"compare-{DateTime.Now:yyyyMMdd-HHmmss}", "--out");
        string outFolder = claim.Folder;
        var device = DeviceSelection.Resolve(shared.Device);

        using var loggers = ConsoleLogging.Create(_console.Out);
        // The run that takes the most images a step decides whether the data is large enough for every run.
        var largestStep = runOptions.MaxBy(o => o.SequencesPerStep)!;
        using var dataset = DataFolder.Load(dataFolder, device, largestStep);
        using var halves = HeldOutImages.HoldOut(parse.GetValue(_flags.Validation), dataset, shared.Seed, largestStep.SequencesPerStep);
        var outcomes = new List<RunOutcome>();
        for (int i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            _console.Out.WriteLine($"== run {i + 1} of {specs.Count}: {spec.Label} ==");
            try
            {
                outcomes.Add(ComparisonRun.Execute(spec, runOptions[i], dataset, halves, device, Path.Combine(outFolder, "runs", spec.Slug),
                    logDir is null ? null : Path.Combine(logDir, spec.Slug), loggers, _flags.FlagOf, _console, cancellationToken));
            }
            catch (Exception e) when (FileErrors.Refused(e))
            {
                throw new UserErrorException(ExitCodes.OutputNotWritable,
                    $"--out: cannot write the files of run {i + 1} of {specs.Count} ({e.Message}); the metrics of the runs before it are in {Path.Combine(outFolder, "runs")}.");
            }
            catch (OperationCanceledException)
            {
                throw new UserErrorException(ExitCodes.Canceled,
                    $"Interrupted during run {i + 1} of {specs.Count} ({spec.Label}); the metrics of the runs so far are in {Path.Combine(outFolder, "runs")}, no report was written.");
            }
        }
        var report = new ComparisonReport(outcomes, shared, dataFolder);
        try
        {
            report.WriteTo(outFolder);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: cannot write the report into {outFolder} ({e.Message}).");
        }
        _console.Out.WriteLine();
        _console.Out.Write(report.Table.ToConsoleText());
        _console.Out.WriteLine($"Report written to {outFolder}");
        NextSteps.AfterComparison(_console.Error, outFolder);
        return ExitCodes.Success;
    }

    // Every run measures gradient flow before training and after its last step, where it can: a bidirectional model's
    // hidden states run both ways, so it has no one gradient per step.
    private TrainingOptions ValidOptions(RunSpec spec, TrainingOptions shared)
    {
        var options = spec.ApplyTo(shared, _flags);
        options = options with { GradientFlowSteps = options.Bidirectional ? [] : [0, options.Steps] };
        var problem = options.Problems().FirstOrDefault();
        return problem is null ? options
            : throw new UserErrorException(ExitCodes.InvalidArguments, $"--runs: in '{spec.Label}', {problem.Property} {problem.Message}");
    }
}
