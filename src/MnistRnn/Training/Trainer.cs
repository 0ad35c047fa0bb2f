using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MnistRnn.Checkpoints;
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

    /// <summary>
    /// Where to write checkpoints: every <see cref="TrainingOptions.CheckpointEvery"/> steps, after the last
    /// step, and when training is cancelled. Null (the default) writes none.
    /// </summary>
    public CheckpointStore? Checkpoints { get; init; }

    /// <summary>The last checkpoint this trainer wrote, or null.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>Steps completed so far by the current or last call of <see cref="Train"/>, counting a resumed checkpoint's.</summary>
    public int CompletedSteps { get; private set; }

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

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> up to <see cref="TrainingOptions.Steps"/> steps,
    /// from the start or from <paramref name="resume"/>.
    /// </summary>
    /// <param name="model">The classifier, already on the device <paramref name="train"/> is on.</param>
    /// <param name="train">Training images (count, rows, columns) and labels.</param>
    /// <param name="cancellationToken">Checked before every step; on cancellation a checkpoint is written first (with <see cref="Checkpoints"/>).</param>
    /// <param name="resume">A checkpoint of this run to continue from: with the same data and thread count on a CPU, the result is the same as an uninterrupted run.</param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    /// <exception cref="TrainingDivergedException">Too many consecutive steps had a non-finite loss or gradient.</exception>
    /// <exception cref="CheckpointException"><paramref name="resume"/> does not fit the model or data.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch size exceeds the training set.</exception>
    public TrainingResult Train(RecurrentClassifier model, DatasetSplit train, CancellationToken cancellationToken = default, Checkpoint? resume = null)
    {
        var options = Options;
        TrainingLog.Starting(_logger, options.Model.ToName(), train.Images.device.ToString(), options.Steps, options.BatchSize,
            options.LearningRate, options.ClipNorm?.ToString() ?? "off", options.ClipValue?.ToString() ?? "off", options.Seed);
        using var optimizer = new AdamOptimizer(model.parameters(), options.LearningRate);
        using var batches = new ShuffledBatches(train, options.BatchSize, options.Seed);
        using var layout = SequenceLayout.For(train, options.Order);
        var state = new TrainingState(model, optimizer, batches, 0, options, train);
        if (resume is not null)
        {
            resume.Restore(state);
            LastCheckpoint = resume.Path;
        }
        int first = (resume?.Info.Step ?? 0) + 1;
        CompletedSteps = first - 1;
        var stalls = options.StallWindow > 0 ? new StallDetector(options.StallWindow, model.Classes) : null;
        string cell = options.Model.ToName();
        model.train();
        MeasureGradientFlow(model, train, layout, step: CompletedSteps);
        var clock = Stopwatch.StartNew();
        StepMetrics? metrics = null;
        int nonFiniteInARow = 0;
        for (int step = first; step <= options.Steps; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                SaveCheckpoint(state, step - 1);
                cancellationToken.ThrowIfCancellationRequested();
            }
            using var scope = NewDisposeScope();
            bool logged = options.LogCadence.ShouldLog(step, options.Steps);
            optimizer.LearningRate = options.Schedule.At(step, options.Steps, options.LearningRate);
            metrics = TrainingStep.Run(model, optimizer, batches, layout, options, step, measureState: logged, clock);
            CompletedSteps = step;
            nonFiniteInARow = metrics.UpdateSkipped ? nonFiniteInARow + 1 : 0;
            if (metrics.UpdateSkipped)
            {
                TrainingLog.NonFinite(_logger, step, metrics.Loss, metrics.GradNorm, nonFiniteInARow, options.MaxNonFiniteSteps);
                if (nonFiniteInARow >= options.MaxNonFiniteSteps)
                    throw new TrainingDivergedException(step, nonFiniteInARow, LastCheckpoint);
            }
            if (metrics.State is { } stepState)
                TrainingLog.Step(_logger, step, metrics.Loss, metrics.Accuracy, cell, stepState.WeightMean, cell, stepState.OutputMean, metrics.GradNorm, stepState.Saturation);
            StepCompleted?.Invoke(metrics);
            if (stalls?.Observe(metrics) is { } stall)
            {
                TrainingLog.Stalled(_logger, stall.Step, stall.Window, stall.MeanLoss, stall.ChanceLoss, stall.MeanAccuracy, stall.Advice);
                StallDetected?.Invoke(stall);
            }
            MeasureGradientFlow(model, train, layout, step);
            bool due = step == options.Steps || (options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0);
            // A step whose update was skipped is not a good state to resume from.
            if (due && nonFiniteInARow == 0) SaveCheckpoint(state, step);
        }
        clock.Stop();
        return new TrainingResult(options.Steps - first + 1, options.BatchSize, clock.Elapsed.TotalSeconds, metrics!);
    }

    private void SaveCheckpoint(TrainingState state, int step)
    {
        if (Checkpoints is null || step < 1 || LastCheckpoint == System.IO.Path.Combine(Checkpoints.Folder, CheckpointStore.FileName(step))) return;
        LastCheckpoint = Checkpoints.Save(state with { Step = step }, state.Train.Images.device.ToString());
        TrainingLog.CheckpointWritten(_logger, step, LastCheckpoint);
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
