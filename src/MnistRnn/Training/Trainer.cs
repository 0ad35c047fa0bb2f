using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
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

    /// <summary>Raised after each step of <see cref="TrainingOptions.GradientFlowSteps"/> with dLoss/dh_t on the probe batch.</summary>
    public event Action<GradientFlowMeasurement>? GradientFlowMeasured;

    /// <summary>Raised once when the loss has stayed near chance for <see cref="TrainingOptions.StallWindow"/> steps.</summary>
    public event Action<Stall>? StallDetected;

    /// <summary>Sequences in the probe batch of <see cref="GradientFlow"/>: the first items of the training split.</summary>
    public const int ProbeSize = 100;

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

    /// <summary>Builds the classifier for <paramref name="dataset"/> read in <see cref="TrainingOptions.Order"/>, as <see cref="CreateModel(Device, int, int)"/>.</summary>
    public RecurrentClassifier CreateModel(Device device, MnistDataset dataset)
    {
        using var layout = SequenceLayout.For(dataset.Train, Options.Order);
        return CreateModel(device, layout.Features, dataset.Classes);
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
        using var layout = SequenceLayout.For(train, options.Order);
        var stalls = options.StallWindow > 0 ? new StallDetector(options.StallWindow, model.Classes) : null;
        string cell = options.Model.ToName();
        model.train();
        MeasureGradientFlow(model, train, layout, step: 0);
        var clock = Stopwatch.StartNew();
        StepMetrics? metrics = null;
        for (int step = 1; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            bool logged = options.LogCadence.ShouldLog(step, options.Steps);
            metrics = TrainingStep.Run(model, optimizer, batches, layout, options, step, measureState: logged, clock);
            if (metrics.State is { } state)
                TrainingLog.Step(_logger, step, metrics.Loss, metrics.Accuracy, cell, state.WeightMean, cell, state.OutputMean, metrics.GradNorm, state.Saturation);
            StepCompleted?.Invoke(metrics);
            if (stalls?.Observe(metrics) is { } stall)
            {
                TrainingLog.Stalled(_logger, stall.Step, stall.Window, stall.MeanLoss, stall.ChanceLoss, stall.MeanAccuracy, stall.Advice);
                StallDetected?.Invoke(stall);
            }
            MeasureGradientFlow(model, train, layout, step);
        }
        clock.Stop();
        return new TrainingResult(options.Steps, options.BatchSize, clock.Elapsed.TotalSeconds, metrics!);
    }

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="test"/> and logs the experiment's final line.</summary>
    public EvaluationResult Evaluate(RecurrentClassifier model, DatasetSplit test)
    {
        var result = ModelEvaluation.Evaluate(model, test, Options.Order);
        TrainingLog.Final(_logger, result.Loss, result.Accuracy);
        return result;
    }

    private void MeasureGradientFlow(RecurrentClassifier model, DatasetSplit train, SequenceLayout layout, int step)
    {
        if (GradientFlowMeasured is null || !Options.GradientFlowSteps.Contains(step)) return;
        using var scope = NewDisposeScope();
        int size = Math.Min(ProbeSize, train.Count);
        var probe = layout.Arrange(train.Images.narrow(0, 0, size));
        var norms = GradientFlow.Measure(model, probe, train.Labels.narrow(0, 0, size));
        GradientFlowMeasured(new GradientFlowMeasurement(step, norms));
    }
}
