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

    /// <summary>Steps completed so far by the current or last call of <c>Train</c>, counting a resumed checkpoint's.</summary>
    public int CompletedSteps { get; private set; }

    /// <summary>
    /// Most steps whose metrics wait on the device under <see cref="StepExecution.DeviceResident"/> before they are
    /// read back and reported: one wait per this many steps costs nothing measurable, and it bounds how late a
    /// divergence or a stall is noticed.
    /// </summary>
    public const int MaxPendingSteps = 100;

    /// <summary>Sequences in the probe batch of <see cref="GradientFlow"/>: the first items of the training split.</summary>
    public const int ProbeSize = 100;

    /// <summary>
    /// Seeds torch's global generator with <see cref="TrainingOptions.Seed"/> and builds the classifier the options
    /// describe (see <see cref="TrainingOptions.Architecture"/>) on <paramref name="device"/>, so one seed fixes the initial weights.
    /// </summary>
    /// <param name="device">Where the model lives.</param>
    /// <param name="inputSize">Features per step of the data.</param>
    /// <param name="classes">Classes of the data.</param>
    /// <exception cref="ArgumentException">The input size or class count is out of range.</exception>
    /// <exception cref="InsufficientMemoryException">The weights cannot fit in the CPU memory available.</exception>
    public RecurrentClassifier CreateModel(Device device, int inputSize, int classes)
    {
        var architecture = Options.Architecture(inputSize, classes);
        architecture.EnsureValid();
        if (device.type == DeviceType.CPU)
            MemoryEstimate.EnsureFits(architecture.ParameterCount * (double)sizeof(float),
                $"the weights of the {Options.Model.ToName()} model of hidden size {Options.HiddenSize}", "use a smaller hidden size");
        random.manual_seed(Options.Seed);
        var model = new RecurrentClassifier(architecture);
        model.to(device);
        return model;
    }

    /// <summary>Builds the classifier for <paramref name="data"/>'s features and classes on its device, as <see cref="CreateModel(Device, int, int)"/>.</summary>
    public RecurrentClassifier CreateModel(SequenceDataset data) => CreateModel(data.Device, data.Features, data.Classes);

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/> up to <see cref="TrainingOptions.Steps"/> steps,
    /// from the start or from <paramref name="resume"/>, reading each sequence up to its own length when the data has lengths.
    /// </summary>
    /// <param name="model">The classifier, on the device <paramref name="data"/> is on, with its features and classes.</param>
    /// <param name="data">The training sequences.</param>
    /// <param name="cancellationToken">Checked before every step; on cancellation a checkpoint is written first (with <see cref="Checkpoints"/>).</param>
    /// <param name="resume">A checkpoint of this run to continue from.</param>
    /// <exception cref="ArgumentException">The model does not fit the data, or <see cref="TrainingOptions.Order"/> asks to rearrange images.</exception>
    /// <inheritdoc cref="Train(RecurrentClassifier, DatasetSplit, CancellationToken, Checkpoint)" path="/exception"/>
    public TrainingResult Train(RecurrentClassifier model, SequenceDataset data, CancellationToken cancellationToken = default, Checkpoint? resume = null)
    {
        data.EnsureFits(model);
        if (Options.Order != SequenceOrder.Rows)
            throw new ArgumentException(
                $"TrainingOptions.Order is {Options.Order}, which turns images into pixel sequences; a SequenceDataset is already sequences, so leave Order at Rows.");
        if (data.Lengths is not null && Options.GradientFlowSteps.Count > 0)
            throw new ArgumentException("TrainingOptions.GradientFlowSteps needs sequences of one length; this data has Lengths.");
        return Train(model, data.Split, cancellationToken, resume);
    }

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="data"/> and logs the experiment's final line.</summary>
    /// <exception cref="ArgumentException">The model does not fit the data.</exception>
    public EvaluationResult Evaluate(RecurrentClassifier model, SequenceDataset data)
    {
        var result = ModelEvaluation.Evaluate(model, data);
        TrainingLog.Final(_logger, result.Loss, result.Accuracy);
        return result;
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
    /// <exception cref="InsufficientMemoryException">Training this model on this batch size cannot fit in the CPU memory available.</exception>
    public TrainingResult Train(RecurrentClassifier model, DatasetSplit train, CancellationToken cancellationToken = default, Checkpoint? resume = null)
    {
        var options = Options;
        TrainingLog.Starting(_logger, options.Model.ToName(), train.Images.device.ToString(), options.Steps, options.BatchSize,
            options.LearningRate, options.ClipNorm?.ToString() ?? "off", options.ClipValue?.ToString() ?? "off", options.Seed);
        if (train.Images.device.type == DeviceType.CPU)
        {
            using var sequences = SequenceLayout.For(train, options.Order);
            MemoryEstimate.EnsureFits(MemoryEstimate.TrainingBytes(model.Options, sequences.Steps, options.BatchSize),
                $"training the {model.Kind.ToName()} model of hidden size {model.HiddenSize} on batches of {options.BatchSize} sequences of {sequences.Steps} steps",
                "use a smaller batch or hidden size");
        }
        var execution = StepExecutionChoice.Resolve(options.StepExecution, train.Images.device);
        using var optimizer = new AdamOptimizer(model.parameters(), options.LearningRate, execution, weightDecay: options.WeightDecay);
        using var batches = new ShuffledBatches(train, options.BatchSize, options.Seed);
        using var layout = SequenceLayout.For(train, options.Order);
        using var pending = execution == StepExecution.DeviceResident ? new PendingMetrics(MaxPendingSteps, train.Images.device, model.Kind) : null;
        var state = new TrainingState(model, optimizer, batches, 0, options, train, DataFingerprint.Of(train));
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

        // Everything the host does with a step's figures, in step order, as soon as they are on the host.
        void Report(StepMetrics reported)
        {
            metrics = reported;
            nonFiniteInARow = reported.UpdateSkipped ? nonFiniteInARow + 1 : 0;
            if (reported.UpdateSkipped)
            {
                TrainingLog.NonFinite(_logger, reported.Step, reported.Loss, reported.GradNorm, nonFiniteInARow, options.MaxNonFiniteSteps);
                if (nonFiniteInARow >= options.MaxNonFiniteSteps)
                    throw new TrainingDivergedException(reported.Step, nonFiniteInARow, LastCheckpoint);
            }
            if (reported.State is { } stepState)
                TrainingLog.Step(_logger, reported.Step, reported.Loss, reported.Accuracy, cell, stepState.WeightMean, cell, stepState.OutputMean, reported.GradNorm, stepState.Saturation);
            StepCompleted?.Invoke(reported);
            if (stalls?.Observe(reported) is { } stall)
            {
                TrainingLog.Stalled(_logger, stall.Step, stall.Window, stall.MeanLoss, stall.ChanceLoss, stall.MeanAccuracy, stall.Advice);
                StallDetected?.Invoke(stall);
            }
        }
        void ReportPending()
        {
            if (pending is null) return;
            foreach (var reported in pending.ReadBack()) Report(reported);
        }

        for (int step = first; step <= options.Steps; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                ReportPending();
                SaveCheckpoint(state, step - 1);
                cancellationToken.ThrowIfCancellationRequested();
            }
            using var scope = NewDisposeScope();
            bool logged = options.LogCadence.ShouldLog(step, options.Steps);
            // Checkpoints are only written after a step whose update applied, which the host must know first.
            bool due = step == options.Steps || (options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0);
            optimizer.LearningRate = options.Schedule.At(step, options.Steps, options.LearningRate);
            if (pending is null)
            {
                var completed = TrainingStep.Run(model, optimizer, batches, layout, options, step, measureState: logged, clock);
                CompletedSteps = step;
                Report(completed);
            }
            else
            {
                TrainingStep.RunOnDevice(model, optimizer, batches, layout, options, step, measureState: logged, clock, pending);
                CompletedSteps = step;
                if (logged || due || pending.IsFull) ReportPending();
            }
            MeasureGradientFlow(model, train, layout, step);
            // A step whose update was skipped is not a good state to resume from.
            if (due && nonFiniteInARow == 0) SaveCheckpoint(state, step);
        }
        clock.Stop();
        // Ending inside a run of skipped updates is divergence too, only cut short by the step count: the
        // last step's loss is not finite and no final checkpoint was written.
        if (nonFiniteInARow > 0) throw new TrainingDivergedException(options.Steps, nonFiniteInARow, LastCheckpoint);
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
