using System.CommandLine;
using System.Text.Json.Nodes;
using MnistRnn.Runner.Sweep;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Compare;

/// <summary>
/// <c>mnist-rnn compare</c>: trains several configurations with the same seed and step budget, each a trial run as a sweep
/// runs one (<c>train</c> with its own config file and folder), and writes a report over them: a table (console, Markdown,
/// CSV) and the figures. The same command with the same <c>--out</c> continues an interrupted comparison.
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
        Description = "Report folder: a new or empty one, or an earlier comparison's to continue it [default: compare-YYYYMMDD-HHMMSS in the current directory].",
    };

    public Command Build()
    {
        var command = new Command("compare", "Train several configurations with the same seed and budget, then write a report with a table and plots.");
        command.Options.Add(_runs);
        command.Options.Add(_out);
        _flags.AddSharedTo(command);
        command.SetAction((parse, cancellationToken) => Task.Run(() => RunAsync(parse, cancellationToken), CancellationToken.None));
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        // Everything the user typed is checked before any training starts.
        var shared = _flags.ReadOptions(parse);
        var specs = parse.GetValue(_runs)!.Select(text => RunSpec.Parse(text, _flags.RunSpecKeys)).ToList();
        if (specs.Count == 0) throw new UserErrorException(ExitCodes.InvalidArguments, "--runs: give at least one configuration.");
        var duplicate = specs.GroupBy(s => s.Slug).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--runs: '{duplicate.First().Label}' is given twice; each configuration must differ.");
        var runOptions = specs.Select(spec => ValidOptions(spec, shared)).ToList();
        int validation = parse.GetValue(_flags.Validation);
        HeldOutImages.EnsureGiven(validation, runOptions);
        string dataFolder = Path.GetFullPath(DataFolder.Resolve(parse.GetValue(_flags.Data)));
        string? logDir = LogDirectory.Prepare(parse.GetValue(_flags.LogDir));
        EnsureDataSuffices(dataFolder, runOptions, validation, shared.Seed);
        string folder = Path.GetFullPath(parse.GetValue(_out) ?? $"compare-{DateTime.Now:yyyyMMdd-HHmmss}");
        // Each run is a trial: train with its own config file, in a folder of its own, as a sweep runs one.
        int threads = ThreadsOption.Given ?? get_num_threads();
        var plan = new SweepPlan([.. specs.Select((spec, i) => new SweepTrial(i, spec.Label, shared.Seed, threads,
            (JsonObject)JsonNode.Parse(_flags.ToConfig(new TrainFlags.TrainRun(runOptions[i], validation, KeepBest: false)))!))]);
        SweepFolder.Prepare(folder, plan);
        var trials = TrialFolder.All(folder, plan);
        string allocator = parse.GetValue(AllocatorOption.Option).ToString().ToLowerInvariant();

        for (int i = 0; i < trials.Count; i++)
        {
            var (spec, trial) = (specs[i], trials[i]);
            _console.Out.WriteLine($"== run {i + 1} of {specs.Count}: {spec.Label} ==");
            var outcome = await TrialRunner.RunAsync(trial, dataFolder, allocator, _console.Out, cancellationToken, writeMetrics: true,
                logDir is null ? null : Path.Combine(logDir, spec.Slug), echo: _console);
            if (outcome == TrialRunner.Outcome.Interrupted)
                throw new UserErrorException(ExitCodes.Canceled,
                    $"Interrupted during run {i + 1} of {specs.Count} ({spec.Label}); no report was written. Run the same command with --out {folder} to continue: " +
                    "the finished runs are kept and this one trains again from its start.");
            if (outcome != TrialRunner.Outcome.Final)
            {
                var result = trial.ReadResult();
                throw new UserErrorException(result?.ExitCode is int code and not ExitCodes.Success ? code : ExitCodes.TrialsFailed,
                    $"Run {i + 1} of {specs.Count} ({spec.Label}) did not finish: {result?.Message ?? "another compare is running it"}; no report was written. " +
                    $"Its log is {trial.Log}; run the same command with --out {folder} to try it again.");
            }
        }
        var outcomes = trials.Select((trial, i) => ReadOutcome(specs[i], trial, folder)).ToList();
        var report = new ComparisonReport(outcomes, shared, dataFolder);
        try
        {
            report.WriteTo(folder);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: cannot write the report into {folder} ({e.Message}).");
        }
        _console.Out.WriteLine();
        _console.Out.Write(report.Table.ToConsoleText());
        _console.Out.WriteLine($"Report written to {folder}");
        NextSteps.AfterComparison(_console.Error, folder);
        return ExitCodes.Success;
    }

    // The run that takes the most images a step decides whether the data, less what is held out, is large enough for every run.
    private static void EnsureDataSuffices(string dataFolder, IReadOnlyList<TrainingOptions> runOptions, int validation, long seed)
    {
        var largestStep = runOptions.MaxBy(o => o.SequencesPerStep)!;
        using var dataset = DataFolder.Load(dataFolder, CPU, largestStep);
        using var halves = HeldOutImages.HoldOut(validation, dataset, seed, largestStep.SequencesPerStep);
    }

    private static RunOutcome ReadOutcome(RunSpec spec, TrialFolder trial, string folder)
    {
        try
        {
            var summary = RunSummary.Read(trial.Summary) ?? throw new InvalidDataException($"{trial.Summary} is missing or not a run summary");
            return new RunOutcome(spec, Path.GetRelativePath(folder, trial.Path), summary, MetricsFolder.Read(trial.Metrics, spec.Model));
        }
        catch (Exception e) when (e is InvalidDataException || FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.InvalidData, $"--out: cannot read run {spec.Label}'s files back ({e.Message}); remove {trial.Path} and run the same command again.");
        }
    }

    private TrainingOptions ValidOptions(RunSpec spec, TrainingOptions shared)
    {
        var options = spec.ApplyTo(shared, _flags);
        var problem = options.Problems().FirstOrDefault();
        return problem is null ? options
            : throw new UserErrorException(ExitCodes.InvalidArguments, $"--runs: in '{spec.Label}', {problem.Property} {problem.Message}");
    }
}
