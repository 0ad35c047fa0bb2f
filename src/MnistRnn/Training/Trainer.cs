using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MnistRnn.Data;
using MnistRnn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Trains a <see cref="RecurrentClassifier"/> with Adam and gradient clipping, one mini-batch per
/// step, and logs the experiment's step lines. Every tensor a step creates is released when the
/// step ends, so memory stays flat however long training runs.
/// </summary>
public sealed class Trainer
{
    private readonly ILogger _logger;

    /// <summary>Creates a trainer for <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public Trainer(TrainingOptions options, ILogger<Trainer>? logger = null)
    {
        options.EnsureValid();
        Options = options;
        _logger = logger ?? NullLogger<Trainer>.Instance;
    }

    /// <summary>The options this trainer runs with.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Raised after every step with what it measured.</summary>
    public event Action<StepMetrics>? StepCompleted;

    /// <summary>
    /// Seeds torch's global generator with <see cref="TrainingOptions.Seed"/> and builds the
    /// classifier the options describe on <paramref name="device"/>, so one seed fixes the initial weights.
    /// </summary>
    public RecurrentClassifier CreateModel(Device device, int inputSize = 28, int classes = 10)
    {
        random.manual_seed(Options.Seed);
        var model = new RecurrentClassifier(Options.Model, inputSize, Options.HiddenSize, classes);
        model.to(device);
        return model;
    }

    /// <summary>Trains <paramref name="model"/> on <paramref name="train"/> for <see cref="TrainingOptions.Steps"/> steps.</summary>
    /// <param name="model">The classifier, already on the device <paramref name="train"/> is on.</param>
    /// <param name="train">Training images (count, steps, features) and labels.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch size exceeds the training set.</exception>
    public TrainingResult Train(RecurrentClassifier model, DatasetSplit train, CancellationToken cancellationToken = default)
    {
        var options = Options;
        TrainingLog.Starting(_logger, options.Model.ToName(), train.Images.device.ToString(), options.Steps, options.BatchSize,
            options.LearningRate, options.ClipNorm?.ToString() ?? "off", options.ClipValue?.ToString() ?? "off", options.Seed);
        using var optimizer = new AdamOptimizer(model.parameters(), options.LearningRate);
        using var batches = new ShuffledBatches(train, options.BatchSize, options.Seed);
        string cell = options.Model.ToName();
        model.train();
        var clock = Stopwatch.StartNew();
        StepMetrics? metrics = null;
        for (int step = 1; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            metrics = TrainingStep.Run(model, optimizer, batches, options, step, clock);
            if (options.LogCadence.ShouldLog(step, options.Steps))
                TrainingLog.Step(_logger, step, metrics.Loss, metrics.Accuracy, cell, metrics.WeightMean, cell, metrics.OutputMean, metrics.GradNorm);
            StepCompleted?.Invoke(metrics);
        }
        clock.Stop();
        return new TrainingResult(options.Steps, options.BatchSize, clock.Elapsed.TotalSeconds, metrics!);
    }

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="test"/> and logs the experiment's final line.</summary>
    public EvaluationResult Evaluate(RecurrentClassifier model, DatasetSplit test)
    {
        var result = ModelEvaluation.Evaluate(model, test);
        TrainingLog.Final(_logger, result.Loss, result.Accuracy);
        return result;
    }
}
