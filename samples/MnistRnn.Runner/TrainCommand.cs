using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner;

/// <summary><c>mnist-rnn train</c>: trains one model on MNIST read row by row and evaluates it on the test set.</summary>
internal sealed class TrainCommand
{
    private readonly TrainFlags _flags = new();

    public Command Build()
    {
        var command = new Command("train", "Train a recurrent classifier on MNIST read row by row, then evaluate it on the test set.");
        _flags.AddTo(command);
        // On a worker thread, so System.CommandLine's Ctrl+C handler is in place while training runs.
        command.SetAction((parse, cancellationToken) => Task.Run(() => Run(parse, cancellationToken), CancellationToken.None));
        return command;
    }

    private int Run(ParseResult parse, CancellationToken cancellationToken)
    {
        // Everything the user typed is checked before any work starts.
        var options = _flags.ReadOptions(parse);
        string dataFolder = DataFolder.Resolve(parse.GetValue(_flags.Data));
        string? summaryPath = PrepareSummaryPath(parse.GetValue(_flags.Summary));
        string? logDir = LogDirectory.Prepare(parse.GetValue(_flags.LogDir));
        var device = DeviceSelection.Resolve(options.Device);

        using var loggers = ConsoleLogging.Create();
        using var dataset = DataFolder.Load(dataFolder, device);
        if (options.BatchSize > dataset.Train.Count)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--batch-size {options.BatchSize} exceeds the {dataset.Train.Count} training images in {dataFolder}.");
        var trainer = new Trainer(options, loggers.CreateLogger<Trainer>());
        using var model = trainer.CreateModel(device, dataset);
        if (logDir is not null)
        {
            var tensorBoard = new TensorBoardWriter(logDir, model);
            trainer.StepCompleted += tensorBoard.Write;
        }
        // Working set after step 500 and after the last step: the window in which memory must stay flat.
        double? workingSetAtStep500 = null, workingSetAtLastStep = null;
        int stepsDone = 0;
        trainer.StepCompleted += metrics =>
        {
            stepsDone = metrics.Step;
            if (metrics.Step == 500) workingSetAtStep500 = Megabytes(Environment.WorkingSet);
            if (metrics.Step == options.Steps) workingSetAtLastStep = Megabytes(Environment.WorkingSet);
        };
        TrainingResult training;
        try
        {
            training = trainer.Train(model, dataset.Train, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new UserErrorException(ExitCodes.Canceled, $"Interrupted after step {stepsDone} of {options.Steps}; nothing was evaluated or saved.");
        }
        var evaluation = trainer.Evaluate(model, dataset.Test);

        if (summaryPath is not null)
        {
            var summary = new RunSummary(
                options.Model.ToName(), training.Steps, options.BatchSize, options.LearningRate, options.ClipNorm, options.ClipValue,
                options.Seed, device.ToString(), dataset.IsVerifiedMnist, evaluation.Loss, evaluation.Accuracy,
                Math.Round(training.TrainSeconds, 3), Math.Round(training.SamplesPerSecond, 1),
                Megabytes(Process.GetCurrentProcess().PeakWorkingSet64), workingSetAtStep500, workingSetAtLastStep);
            try
            {
                summary.WriteTo(summaryPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserErrorException(ExitCodes.OutputNotWritable, $"--summary: cannot write {summaryPath} ({e.Message}).");
            }
        }
        return ExitCodes.Success;
    }

    private static double Megabytes(long bytes) => Math.Round(bytes / 1048576.0, 1);

    private static string? PrepareSummaryPath(string? path)
    {
        if (path is null) return null;
        try
        {
            string full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            if (Directory.Exists(full))
                throw new UserErrorException(ExitCodes.InvalidArguments, $"--summary: {path} is a folder; give a file path such as {Path.Combine(path, "summary.json")}.");
            return full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--summary: cannot create the folder for {path} ({e.Message}).");
        }
    }
}
