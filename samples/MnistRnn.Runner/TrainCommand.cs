using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner;

/// <summary><c>mnist-rnn train</c>: trains one model on MNIST read row by row and evaluates it on the test set.</summary>
internal sealed class TrainCommand
{
    private static readonly TrainingOptions Defaults = new();

    private readonly Option<string> _model = new("--model")
    {
        Description = "Recurrent cell: rnn (tanh), lstm or gru.",
        HelpName = "rnn|lstm|gru",
        DefaultValueFactory = _ => Defaults.Model.ToName(),
    };
    private readonly Option<int> _steps = new("--steps") { Description = "Training steps (mini-batches).", DefaultValueFactory = _ => Defaults.Steps };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Sequences per mini-batch.", DefaultValueFactory = _ => Defaults.BatchSize };
    private readonly Option<double> _lr = new("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => Defaults.LearningRate };
    private readonly Option<double> _clipNorm = new("--clip-norm")
    {
        Description = "Rescale gradients whose global L2 norm exceeds this; 0 turns norm clipping off.",
        DefaultValueFactory = _ => Defaults.ClipNorm ?? 0,
    };
    private readonly Option<double> _clipValue = new("--clip-value")
    {
        Description = "Clamp each gradient element to [-v, v] after norm clipping; 0 turns it off.",
        DefaultValueFactory = _ => Defaults.ClipValue ?? 0,
    };
    private readonly Option<int> _hidden = new("--hidden") { Description = "Hidden state width.", DefaultValueFactory = _ => Defaults.HiddenSize };
    private readonly Option<long> _seed = new("--seed") { Description = "Seed for initial weights and batch order.", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<string> _device = new("--device")
    {
        Description = "auto (CUDA when available), cpu or cuda.",
        HelpName = "auto|cpu|cuda",
        DefaultValueFactory = _ => "auto",
    };
    private readonly Option<string?> _data = new("--data")
    {
        Description = $"Folder with the four MNIST-format IDX files, raw or .gz [default: the repository's {DataFolder.Vendored}].",
    };
    private readonly Option<int?> _logEvery = new("--log-every")
    {
        Description = "Log every N steps [default: every 100 steps to 1500, then every 1000, as the original experiment].",
    };
    private readonly Option<string?> _summary = new("--summary") { Description = "Write a JSON summary of the run to this file." };

    private static readonly Dictionary<string, string> FlagOf = new()
    {
        [nameof(TrainingOptions.Model)] = "--model",
        [nameof(TrainingOptions.Steps)] = "--steps",
        [nameof(TrainingOptions.BatchSize)] = "--batch-size",
        [nameof(TrainingOptions.LearningRate)] = "--lr",
        [nameof(TrainingOptions.ClipNorm)] = "--clip-norm",
        [nameof(TrainingOptions.ClipValue)] = "--clip-value",
        [nameof(TrainingOptions.HiddenSize)] = "--hidden",
        [nameof(TrainingOptions.Seed)] = "--seed",
        [nameof(TrainingOptions.Device)] = "--device",
        [nameof(TrainingOptions.LogCadence)] = "--log-every",
    };

    public Command Build()
    {
        var command = new Command("train", "Train a recurrent classifier on MNIST read row by row, then evaluate it on the test set.");
        foreach (var option in new Option[] { _model, _steps, _batchSize, _lr, _clipNorm, _clipValue, _hidden, _seed, _device, _data, _logEvery, _summary })
            command.Options.Add(option);
        // On a worker thread, so System.CommandLine's Ctrl+C handler is in place while training runs.
        command.SetAction((parse, cancellationToken) => Task.Run(() => Run(parse, cancellationToken), CancellationToken.None));
        return command;
    }

    private int Run(ParseResult parse, CancellationToken cancellationToken)
    {
        // Everything the user typed is checked before any work starts.
        var options = ReadOptions(parse);
        string dataFolder = ResolveDataFolder(parse.GetValue(_data));
        string? summaryPath = PrepareSummaryPath(parse.GetValue(_summary));
        var device = DeviceSelection.Resolve(options.Device);

        using var loggers = ConsoleLogging.Create();
        using var dataset = LoadDataset(dataFolder, device);
        if (options.BatchSize > dataset.Train.Count)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--batch-size {options.BatchSize} exceeds the {dataset.Train.Count} training images in {dataFolder}.");
        var trainer = new Trainer(options, loggers.CreateLogger<Trainer>());
        using var model = trainer.CreateModel(device);
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

    private TrainingOptions ReadOptions(ParseResult parse)
    {
        string modelName = parse.GetValue(_model)!;
        if (!CellKindNames.TryParse(modelName, out var model))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--model: unknown cell '{modelName}'; use rnn, lstm or gru.");
        string deviceName = parse.GetValue(_device)!;
        if (!Enum.TryParse<DeviceChoice>(deviceName, ignoreCase: true, out var device) || !Enum.IsDefined(device))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--device: unknown device '{deviceName}'; use auto, cpu or cuda.");
        double clipNorm = parse.GetValue(_clipNorm);
        double clipValue = parse.GetValue(_clipValue);
        int? logEvery = parse.GetValue(_logEvery);
        var options = new TrainingOptions
        {
            Model = model,
            Steps = parse.GetValue(_steps),
            BatchSize = parse.GetValue(_batchSize),
            LearningRate = parse.GetValue(_lr),
            // 0 is the command line's way to say "off"; negative values stay to be rejected below.
            ClipNorm = clipNorm == 0 ? null : clipNorm,
            ClipValue = clipValue == 0 ? null : clipValue,
            HiddenSize = parse.GetValue(_hidden),
            Seed = parse.GetValue(_seed),
            Device = device,
            LogCadence = logEvery is int every ? LogCadence.EveryNSteps(every) : LogCadence.Experiment,
        };
        var problem = options.Problems().FirstOrDefault();
        if (problem is not null)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"{FlagOf[problem.Property]} {problem.Message}");
        return options;
    }

    private static string ResolveDataFolder(string? given)
    {
        if (given is not null)
        {
            if (!Directory.Exists(given))
                throw new UserErrorException(ExitCodes.InvalidArguments,
                    $"--data: folder {given} does not exist; point it at a folder holding the four MNIST-format IDX files.");
            return given;
        }
        return DataFolder.FindVendored() ?? throw new UserErrorException(ExitCodes.InvalidArguments,
            $"No {DataFolder.Vendored} folder was found above the current directory; run from inside the repository or pass --data DIR.");
    }

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

    private static MnistDataset LoadDataset(string folder, TorchSharp.torch.Device device)
    {
        try
        {
            return MnistDataset.Load(folder, device);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new UserErrorException(ExitCodes.InvalidData, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCodes.InvalidData, $"--data: cannot read {folder} ({e.Message}).");
        }
    }
}
