using System.CommandLine;
using System.Globalization;
using MnistRnn.Performance;
using MnistRnn.Runner.Compare;
using MnistRnn.Runner.Report;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// <c>mnist-rnn sweep</c>: a study (a base config, times configurations and axes, times seeds) trained into one folder,
/// trial by trial, on this machine or as a Slurm job array; then its report. Running the same command again skips what
/// finished and resumes what was interrupted.
/// </summary>
internal sealed class SweepCommand(RunnerConsole console)
{
    /// <summary>A plan larger than this needs <c>--yes</c>: 100 trials is hours of training on a workstation.</summary>
    public const int TrialsWithoutConfirmation = 100;

    /// <summary>
    /// Threads per trial when <c>--threads</c> is not given. One: on the reference machine's 2 cores, two LSTM trials at 1 thread
    /// side by side finished sooner than the same two one after the other at 2 threads (docs/sweeps.md has the figures).
    /// </summary>
    public const int DefaultThreadsPerTrial = 1;

    private readonly RunnerConsole _console = console;

    private readonly Option<string?> _config = new("--config") { Description = "The base configuration: a file train --config reads [default: train's defaults]." };
    private readonly Option<string[]> _runs = new("--runs")
    {
        Description = "Configurations to try on top of the base, each CELL[:key=value,...] as compare's (lstm, gru:lr=0.005, lstm:recipe=fast).",
        HelpName = "spec",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string[]> _vary = new("--vary")
    {
        Description = "An axis: KEY=V1,V2,... with KEY any setting train takes (its flag's name without dashes) or threads; repeat for more axes.",
        HelpName = "KEY=V1,V2",
    };
    private readonly Option<string> _seeds = new("--seeds") { Description = "Seeds of every configuration: 1-5, 1,4,9 or both.", DefaultValueFactory = _ => "1-5" };
    private readonly Option<string?> _device = new("--device") { Description = "cpu or cuda for every trial [default: the base configuration's]." };
    private readonly Option<string?> _out = new("--out") { Description = "The sweep's folder; give the same one to continue a sweep [default: sweep-YYYYMMDD-HHMMSS]." };
    private readonly Option<bool> _printPlan = new("--print-plan") { Description = "Print the trials, numbered, and exit without training." };
    private readonly Option<bool> _yes = new("--yes") { Description = $"Run a plan of more than {TrialsWithoutConfirmation} trials." };
    private readonly Option<int?> _parallel = new("--parallel")
    {
        Description = "Trials at once (locally, each in its own process; on Slurm, the array's %K limit) [default locally: the physical cores divided by the threads per trial; on Slurm: no limit].",
        HelpName = "K",
    };
    private readonly Option<int?> _trial = new("--trial")
    {
        Description = "Run only trial N of the sweep in --out (what each Slurm array task or Kubernetes indexed pod runs), resuming it if it was interrupted.",
        HelpName = "N",
    };
    private readonly Option<Engine> _on = ChoiceOption.Create("--on", "engine",
        "Where trials run: local (this machine), slurm (a job array submitted with sbatch; --out must be on a folder every node sees), " +
        "or none (write the plan and trial folders and run nothing, for another scheduler whose tasks each run --trial N).",
        [("local", Engine.Local), ("slurm", Engine.Slurm), ("none", Engine.None)], Engine.Local);
    private readonly Option<string?> _partition = new("--partition") { Description = "Slurm partition [default: the cluster's]." };
    private readonly Option<string> _timeLimit = new("--time-limit") { Description = "Slurm time limit of each trial.", DefaultValueFactory = _ => "01:00:00" };
    private readonly Option<string?> _data = DataFolder.CreateOption();

    private enum Engine
    {
        Local,
        Slurm,
        None,
    }

    public Command Build()
    {
        var command = new Command("sweep", "Train a study (configurations x seeds) into one folder, on this machine or a Slurm cluster, and report each configuration's spread.");
        foreach (var option in new Option[] { _config, _runs, _vary, _seeds, _device, _out, _printPlan, _yes, _parallel, _trial, _on, _partition, _timeLimit, _data })
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => Task.Run(() => RunAsync(parse, cancellationToken), CancellationToken.None));
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string allocator = parse.GetValue(AllocatorOption.Option).ToString().ToLowerInvariant();
        if (parse.GetValue(_trial) is int number) return await RunOneTrialAsync(parse, number, allocator, cancellationToken);

        // Everything the user typed is checked before anything is written.
        string? given = parse.GetValue(_out);
        string folder = Path.GetFullPath(given ?? $"sweep-{DateTime.Now:yyyyMMdd-HHmmss}");
        // A folder given alone continues the sweep it holds.
        bool planTyped = new Option[] { _config, _runs, _vary, _seeds, _device }.Any(o => parse.GetResult(o) is { Implicit: false });
        var plan = !planTyped && given is not null && File.Exists(Path.Combine(folder, SweepFolder.PlanFile)) ? SweepFolder.ReadPlan(folder) : Plan(parse);
        var engine = parse.GetValue(_on);
        int parallel = Parallel(parse, plan, engine);
        string timeLimit = parse.GetValue(_timeLimit)!;
        if (!SlurmJob.IsTimeLimit(timeLimit))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--time-limit {timeLimit}: give a time sbatch reads, such as 01:00:00, 90 or 1-12:00:00.");
        if (parse.GetValue(_printPlan))
        {
            _console.Out.Write(PlanTable(plan));
            return ExitCodes.Success;
        }
        if (plan.Trials.Count > TrialsWithoutConfirmation && !parse.GetValue(_yes))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"The plan has {plan.Trials.Count} trials, more than {TrialsWithoutConfirmation}; check it with --print-plan, then run it with --yes.");
        string dataFolder = Path.GetFullPath(DataFolder.Resolve(parse.GetValue(_data)));
        if (engine == Engine.Slurm) SlurmJob.EnsureScriptable(folder, dataFolder, parse.GetValue(_partition));

        SweepFolder.Prepare(folder, plan);
        var pending = TrialFolder.All(folder, plan).Where(t => t.ReadResult() is not { IsFinal: true }).ToList();
        switch (engine)
        {
            case Engine.None:
                _console.Out.WriteLine($"Planned {folder}: {plan.Trials.Count} trials, {pending.Count} to run; run each with mnist-rnn sweep --out {folder} --trial N (N from 0 to {plan.Trials.Count - 1}).");
                return ExitCodes.Success;
            case Engine.Slurm when pending.Count > 0:
                var request = new SlurmJob.Request(parse.GetValue(_parallel), parse.GetValue(_partition), timeLimit,
                    Gpu: pending.Any(t => t.Trial.Settings["device"]?.GetValue<string>() == "cuda"));
                return SubmitToSlurm(folder, plan, pending, request, dataFolder, allocator);
            case Engine.Slurm:
                _console.Out.WriteLine($"Every trial of {folder} has finished; nothing to submit.");
                return ReportAndExit(folder, plan);
            default:
                await RunHereAsync(folder, plan, pending, parallel, dataFolder, allocator, cancellationToken);
                return ReportAndExit(folder, plan);
        }
    }

    // Trials at once: as typed, or as many as the physical cores hold at the fewest threads a trial uses.
    private int Parallel(ParseResult parse, SweepPlan plan, Engine engine)
    {
        int fewest = plan.Trials.Min(t => t.Threads);
        int parallel = parse.GetValue(_parallel) ?? Math.Max(1, TorchThreads.PhysicalCores() / fewest);
        if (parallel < 1) throw new UserErrorException(ExitCodes.InvalidArguments, $"--parallel must be at least 1, got {parallel}.");
        if (engine == Engine.Local && parallel * fewest > Environment.ProcessorCount)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--parallel {parallel}: {parallel} trials of {fewest} thread{(fewest == 1 ? "" : "s")} need {parallel * fewest} cores and this machine has {Environment.ProcessorCount}; " +
                "lower --parallel or --threads.");
        return parallel;
    }

    private int SubmitToSlurm(string folder, SweepPlan plan, IReadOnlyList<TrialFolder> pending, SlurmJob.Request request, string dataFolder, string allocator)
    {
        string script = Path.Combine(folder, SlurmJob.ScriptName);
        WriteOrRefuse(script, SlurmJob.Script(folder, plan, pending.Select(t => t.Trial.Number).ToList(), request, dataFolder, allocator));
        string job = SlurmJob.Submit(script, folder);
        _console.Out.WriteLine($"Submitted job array {job}: {pending.Count} trial{(pending.Count == 1 ? "" : "s")} of {plan.Trials.Count} ({script}).");
        _console.Error.WriteLine($"next: squeue -j {job} to follow it; mnist-rnn report {folder} for the results so far");
        return ExitCodes.Success;
    }

    // Every trial in a process of its own, even one at a time: libtorch keeps a thread count per thread once a thread has
    // computed, so a process that ran a trial at 1 thread may compute the next at 1 although it asks for 2.
    private async Task RunHereAsync(string folder, SweepPlan plan, IReadOnlyList<TrialFolder> pending, int parallel, string dataFolder, string allocator,
        CancellationToken cancellationToken)
    {
        _console.Out.WriteLine($"Sweep {folder}: {plan.Trials.Count} trials, {plan.Trials.Count - pending.Count} finished before, {pending.Count} to run" +
            (pending.Count > 0 ? $", {Math.Min(parallel, pending.Count)} at a time." : "."));
        await LocalWorkers.RunAsync(pending, parallel, TorchThreads.PhysicalCores(), folder, dataFolder, allocator, TextWriter.Synchronized(_console.Out),
            cancellationToken);
        if (cancellationToken.IsCancellationRequested)
            throw new UserErrorException(ExitCodes.Canceled, $"Interrupted; finished trials are kept and interrupted ones checkpointed. Run the same command again to continue the sweep in {folder}.");
    }

    // An array task or a local worker: one trial of the plan already in --out.
    private async Task<int> RunOneTrialAsync(ParseResult parse, int number, string allocator, CancellationToken cancellationToken)
    {
        if (new Option[] { _config, _runs, _vary, _seeds, _device, _printPlan }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } planned)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--trial runs a trial of the plan already in --out; leave out {planned.Name}.");
        string folder = Path.GetFullPath(parse.GetValue(_out)
            ?? throw new UserErrorException(ExitCodes.InvalidArguments, "--trial needs --out, the folder of the sweep whose trial to run."));
        var plan = SweepFolder.ReadPlan(folder);
        if (number < 0 || number >= plan.Trials.Count)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--trial {number}: the sweep in {folder} has trials 0 to {plan.Trials.Count - 1}.");
        string dataFolder = Path.GetFullPath(DataFolder.Resolve(parse.GetValue(_data)));
        var outcome = await TrialRunner.RunAsync(new TrialFolder(folder, plan, plan.Trials[number]), dataFolder, allocator, _console.Out, cancellationToken);
        return outcome switch
        {
            TrialRunner.Outcome.Failed => ExitCodes.TrialsFailed,
            TrialRunner.Outcome.Interrupted => ExitCodes.Canceled,
            _ => ExitCodes.Success,
        };
    }

    private SweepPlan Plan(ParseResult parse)
    {
        var flags = new TrainFlags();
        var keys = flags.ConfigKeys.ToList();
        var runs = (parse.GetValue(_runs) ?? []).Select(text => RunSpec.Parse(text, keys)).ToList();
        if (runs.GroupBy(r => r.Label).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--runs: '{twice.Key}' is given twice; each configuration must differ.");
        var axes = (parse.GetValue(_vary) ?? []).Select(text => SweepAxis.Parse(text, keys)).ToList();
        if (axes.GroupBy(a => a.Key).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--vary {repeated.Key} is given twice; give all its values in one --vary {repeated.Key}=A,B.");
        var seeds = SeedList.Parse(parse.GetValue(_seeds)!);
        int threads = parse.GetValue(ThreadsOption.Option) ?? DefaultThreadsPerTrial;
        return SweepPlan.Create(parse.GetValue(_config), parse.GetValue(_device), runs, axes, seeds, threads);
    }

    private int ReportAndExit(string folder, SweepPlan plan)
    {
        var report = SweepReport.Create(folder, plan, pooled: []);
        report.WriteTo(folder);
        _console.Out.WriteLine();
        _console.Out.Write(report.ToConsoleText());
        // After a run that was not interrupted, a trial without a final result failed, whether or not it could write one,
        // unless another sweep on the folder is running it now.
        var failed = report.Missing.Select(m => new TrialFolder(folder, plan, m.Trial))
            .Where(t => !t.IsHeldByAnotherWorker() && t.ReadResult() is not { IsFinal: true }).ToList();
        if (failed.Count > 0)
            throw new UserErrorException(ExitCodes.TrialsFailed,
                $"{failed.Count} trial{(failed.Count == 1 ? "" : "s")} did not finish ({string.Join(", ", failed.Take(5).Select(f => f.Trial.Number))}" +
                $"{(failed.Count > 5 ? ", ..." : "")}); the lines above and each one's train.log say why; run the same command again to retry them.");
        _console.Error.WriteLine($"next: read {Path.Combine(folder, SweepReport.MarkdownFile)}; {Path.Combine(folder, SweepReport.PlotFile)} shows the spread");
        return ExitCodes.Success;
    }

    private static string PlanTable(SweepPlan plan)
    {
        var text = new System.Text.StringBuilder();
        int configurationWidth = Math.Max("configuration".Length, plan.Trials.Max(t => t.Configuration.Length));
        text.AppendLine($"{"trial",5}  {"configuration".PadRight(configurationWidth)}  {"seed",6}  threads");
        foreach (var trial in plan.Trials)
            text.AppendLine($"{trial.Number,5}  {trial.Configuration.PadRight(configurationWidth)}  {trial.Seed.ToString(CultureInfo.InvariantCulture),6}  {trial.Threads,7}");
        text.AppendLine($"{plan.Trials.Count} trials: {plan.Configurations.Count} configuration{(plan.Configurations.Count == 1 ? "" : "s")} x {plan.Trials.Count / plan.Configurations.Count} seed{(plan.Trials.Count / plan.Configurations.Count == 1 ? "" : "s")}.");
        return text.ToString();
    }

    private static void WriteOrRefuse(string path, string text)
    {
        try
        {
            MnistRnn.IO.AtomicFile.WriteAllText(path, text);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: cannot write {path} ({e.Message}).");
        }
    }
}
