using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Train;

/// <summary><c>mnist-rnn train</c>: trains one model on MNIST read row by row and evaluates it on the test set.</summary>
internal sealed class TrainCommand(RunnerConsole console)
{
    private readonly RunnerConsole _console = console;

    private readonly TrainFlags _flags = new();

    public Command Build()
    {
        var command = new Command("train", "Train a recurrent classifier on MNIST read as sequences (row by row unless --order says otherwise), then evaluate it on the test set.");
        _flags.AddTo(command);
        // On a worker thread, so System.CommandLine's Ctrl+C handler is in place while training runs.
        command.SetAction((parse, cancellationToken) => Task.Run(() => Run(parse, cancellationToken), CancellationToken.None));
        return command;
    }

    /// <summary>train's flags as docs/runner.md's table (see <see cref="Options.FlagTable"/>).</summary>
    public string FlagTable() => Options.FlagTable.For(Build(), _flags.DefaultOf);

    private int Run(ParseResult parse, CancellationToken cancellationToken)
    {
        // Everything the user typed is checked before any work starts.
        var run = _flags.ReadRun(parse);
        var resume = ReadResume(parse, ref run);
        if (parse.GetValue(_flags.PrintConfig))
        {
            _console.Out.WriteLine(_flags.ToConfig(run));
            return ExitCodes.Success;
        }
        var options = run.Options;
        // A resumed run holds out what its checkpoint's run held out unless --validation says otherwise (see below).
        int? validationCount = resume is null || Typed(parse, _flags.Validation) ? run.Validation : null;
        if (validationCount is not null) HeldOutImages.EnsureGiven(validationCount.Value, [options]);
        string dataFolder = DataFolder.Resolve(parse.GetValue(_flags.Data));
        string? summaryPath = PrepareSummaryPath(parse.GetValue(_flags.Summary));
        string? logDir = LogDirectory.Prepare(parse.GetValue(_flags.LogDir));
        int keep = parse.GetValue(_flags.Keep);
        if (keep < 1) throw new UserErrorException(ExitCodes.InvalidArguments, $"--keep must be at least 1, got {keep}.");
        using var claim = ClaimCheckpointFolder(parse.GetValue(_flags.Out), resume, options);
        using var metricsClaim = parse.GetValue(_flags.Metrics) is { } metricsFolder ? EmptyFolder.Claim(metricsFolder, "--metrics") : null;
        if (metricsClaim is not null) options = MetricsFolder.Measuring(options);
        var checkpoints = new CheckpointStore(claim.Folder, keep) { KeepBest = run.KeepBest };
        var device = DeviceSelection.Resolve(options.Device);

        using var loggers = ConsoleLogging.Create(_console);
        using var dataset = DataFolder.Load(dataFolder, device, options);
        // A resumed run holds out what its checkpoint's run held out: the training images it lacks.
        int heldOut = validationCount ?? Math.Max(0, dataset.Train.Count - resume!.Info.TrainCount);
        using var halves = HeldOutImages.HoldOut(heldOut, dataset, options.Seed, options.SequencesPerStep);
        var trainer = new Trainer(options, loggers.CreateLogger<Trainer>()) { Callbacks = [checkpoints], SettingName = _flags.FlagOf };
        using var model = trainer.CreateModel(device, dataset);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tensorBoard = TensorBoardLog.Create(logDir, model, stop);
        if (tensorBoard is not null) trainer.Callbacks.Add(tensorBoard);
        var memory = new WorkingSetWatch(options.Steps);
        trainer.Callbacks.Add(memory);
        Stall? stall = null;
        trainer.Callbacks.Add(new TrainingObserver { StallDetected = s => stall = s });
        using var metrics = metricsClaim is null ? null : new MetricsFolder(metricsClaim.Folder);
        if (metrics is not null) trainer.Callbacks.Add(metrics);
        var training = Train(trainer, model, halves, resume, checkpoints, tensorBoard, stop.Token);

        if (training.BestValidation is { } best && options.RestoreBestWeights)
            RunnerLog.EvaluatingBest(loggers.CreateLogger("mnist-rnn"), best.Step, best.Loss, best.Accuracy,
                training.StoppedEarly ? $"stopped early after step {training.LastStepNumber}" : $"ran all {training.LastStepNumber} steps");
        var evaluation = trainer.Evaluate(model, dataset.Test);
        try
        {
            metrics?.Finish(model, dataset.Test, options.Order, training);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--metrics: cannot write into {metricsClaim!.Folder} ({e.Message}).");
        }
        if (summaryPath is not null)
            JsonOutput.Write(summaryPath, RunSummary.Of(options, training, evaluation, device.ToString(), dataset.IsVerifiedMnist, memory, heldOut, checkpoints,
                stall, _flags.FlagOf), "--summary");
        // Finite steps can still leave weights that overflow on other inputs; that is not a trained model.
        if (!double.IsFinite(evaluation.Loss))
            throw new UserErrorException(ExitCodes.Diverged,
                $"Training diverged: the trained model's test loss is {evaluation.Loss}. Lower the learning rate (--lr) or clip tighter (--clip-norm).");
        NextSteps.AfterTraining(_console.Error, training.LastCheckpoint, checkpoints.KeepBest ? CheckpointStore.Best(checkpoints.Folder) : null, checkpoints.Folder);
        return ExitCodes.Success;
    }

    // The checkpoint --resume names, with the run's options made the checkpoint's (and what was typed over them).
    private Checkpoint? ReadResume(ParseResult parse, ref TrainFlags.TrainRun run)
    {
        string? resumeFrom = parse.GetValue(_flags.Resume);
        if (resumeFrom is null) return null;
        var resume = CheckpointLocation.Read(resumeFrom, "--resume", _console.Error);
        run = run with { Options = _flags.ResumeOptions(parse, resume) };
        return resume;
    }

    // Trains, turning every way training can end short into its one sentence and exit code.
    private TrainingResult Train(Trainer trainer, RecurrentClassifier model, HeldOutImages halves, Checkpoint? resume, CheckpointStore checkpoints,
        TensorBoardLog? tensorBoard, CancellationToken cancellationToken)
    {
        try
        {
            using var progress = new ProgressLine(trainer.Options.Cell.ToName(), _console);
            trainer.Callbacks.Add(progress);
            return trainer.Train(model, halves.Train, halves.HeldOut, cancellationToken, resume);
        }
        catch (TrainingCanceledException e)
        {
            string? saved = e.LastCheckpoint;
            if (tensorBoard?.Failure is not null)
                throw tensorBoard.Error(saved is null ? "Nothing was saved." : $"Checkpoint saved to {saved}; continue with --resume {checkpoints.Folder}");
            throw new UserErrorException(ExitCodes.Canceled, saved is not null
                ? $"Interrupted after step {e.CompletedSteps} of {trainer.Options.Steps}; checkpoint saved to {saved}. Continue with --resume {checkpoints.Folder}"
                : $"Interrupted before the first step finished; nothing was saved.");
        }
        catch (CheckpointException e)
        {
            throw new UserErrorException(ExitCodes.BadCheckpoint, $"--resume: {e.Message}");
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable,
                $"--out: cannot write a checkpoint in {checkpoints.Folder} ({e.Message}); the previous checkpoint, if any, is intact.");
        }
    }

    // A new run gets a new, empty folder, so keeping the newest K never prunes another run's checkpoints;
    // a resumed run continues in its checkpoint's folder unless --out says otherwise. Either way the run
    // holds the folder's lock until it ends.
    private static FolderLock ClaimCheckpointFolder(string? given, Checkpoint? resume, TrainingOptions options)
    {
        if (given is not null) return EmptyFolder.Claim(given, "--out");
        if (resume is not null) return ClaimResumeFolder(resume);
        // Runs started within the same second get -2, -3, ... rather than sharing a folder.
        string stem = Path.Combine("runs", $"{options.Cell.ToName()}-{DateTime.Now:yyyyMMdd-HHmmss}");
        for (int n = 1; ; n++)
        {
            string folder = n == 1 ? stem : $"{stem}-{n}";
            if (Directory.Exists(folder)) continue;
            try
            {
                return EmptyFolder.Claim(folder, "--out");
            }
            catch (FolderBusyException) when (n < 100)
            {
                // Another run claimed it between the check and the lock: take the next name.
            }
        }
    }

    // Continuing from an older checkpoint in place would overwrite the newer ones with a different history.
    // A newer file that does not read as a checkpoint holds nothing to lose (resuming a folder skips it).
    private static FolderLock ClaimResumeFolder(Checkpoint resume)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(resume.Path))!;
        var claim = FolderLock.Acquire(folder, "--resume");
        string? newest = CheckpointStore.List(folder).TakeWhile(f => CheckpointStore.StepOf(f) > resume.Info.Step).FirstOrDefault(ReadsCleanly);
        if (newest is not null)
        {
            claim.Dispose();
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--resume: {folder} already holds {Path.GetFileName(newest)}, newer than step {resume.Info.Step}, and continuing there would overwrite it; " +
                $"resume the newest with --resume {folder}, or branch from step {resume.Info.Step} into a new folder with --out.");
        }
        return claim;
    }

    private static bool ReadsCleanly(string checkpoint)
    {
        try
        {
            CheckpointFile.Read(checkpoint);
            return true;
        }
        catch (CheckpointException)
        {
            return false;
        }
    }

    private static bool Typed(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    private static string? PrepareSummaryPath(string? path)
    {
        if (path is null) return null;
        try
        {
            string full = Path.GetFullPath(path);
            // Checked before anything is created, so a refused path leaves no new folder behind.
            if (Directory.Exists(full) || Path.EndsInDirectorySeparator(path))
                throw new UserErrorException(ExitCodes.InvalidArguments, $"--summary: {path} is a folder; give a file path such as {Path.Combine(path, "summary.json")}.");
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            return full;
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--summary: cannot create the folder for {path} ({e.Message}).");
        }
    }
}
