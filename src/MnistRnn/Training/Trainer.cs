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

    /// <summary>Raised after each evaluation of the validation data, every <see cref="TrainingOptions.ValidateEvery"/> steps and after the last.</summary>
    public event Action<ValidationRecord>? ValidationCompleted;

    /// <summary>
    /// Makes the TorchSharp learning-rate scheduler that drives this trainer's optimizer (for example
    /// <c>o => optim.lr_scheduler.OneCycleLR(o, max_lr: 0.02, total_steps: 5000)</c>), called once per <c>Train</c> with
    /// the optimizer; the trainer then leaves the learning rate to it, stepping it after every training step, or after
    /// every validation with the validation loss for <c>ReduceLROnPlateau</c>. A resumed run makes a new one and
    /// replays the steps and validations before the checkpoint, so it follows the uninterrupted run's rates. Null (the
    /// default) follows <see cref="TrainingOptions.Schedule"/>, which must then be left constant.
    /// </summary>
    public Func<torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler>? Scheduler { get; init; }

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
    /// <inheritdoc cref="Train(RecurrentClassifier, DatasetSplit, DatasetSplit, CancellationToken, Checkpoint)" path="/exception"/>
    public TrainingResult Train(RecurrentClassifier model, SequenceDataset data, CancellationToken cancellationToken = default, Checkpoint? resume = null) =>
        Train(model, data, validation: null, cancellationToken, resume);

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/> as <see cref="Train(RecurrentClassifier, SequenceDataset, CancellationToken, Checkpoint)"/>,
    /// evaluating it on <paramref name="validation"/> every <see cref="TrainingOptions.ValidateEvery"/> steps and after the last:
    /// each evaluation goes to <see cref="ValidationCompleted"/>, and it drives <see cref="TrainingOptions.EarlyStopPatience"/>,
    /// <see cref="TrainingOptions.RestoreBestWeights"/> and a schedule on the validation loss.
    /// </summary>
    /// <param name="model">The classifier, on the device <paramref name="data"/> is on, with its features and classes.</param>
    /// <param name="data">The training sequences.</param>
    /// <param name="validation">Sequences held out from <paramref name="data"/>, with the same features and classes; null for none.</param>
    /// <param name="cancellationToken">Checked before every step; on cancellation a checkpoint is written first (with <see cref="Checkpoints"/>).</param>
    /// <param name="resume">A checkpoint of this run to continue from.</param>
    /// <exception cref="ArgumentException">The model does not fit the data, or <see cref="TrainingOptions.Order"/> asks to rearrange images.</exception>
    /// <inheritdoc cref="Train(RecurrentClassifier, DatasetSplit, DatasetSplit, CancellationToken, Checkpoint)" path="/exception"/>
    public TrainingResult Train(RecurrentClassifier model, SequenceDataset data, SequenceDataset? validation, CancellationToken cancellationToken = default,
        Checkpoint? resume = null)
    {
        data.EnsureFits(model);
        validation?.EnsureFits(model);
        if (Options.Order != SequenceOrder.Rows)
            throw new ArgumentException(
                $"TrainingOptions.Order is {Options.Order}, which turns images into pixel sequences; a SequenceDataset is already sequences, so leave Order at Rows.");
        if (data.Lengths is not null && Options.GradientFlowSteps.Count > 0)
            throw new ArgumentException("TrainingOptions.GradientFlowSteps needs sequences of one length; this data has Lengths.");
        return Train(model, data.Split, validation?.Split, cancellationToken, resume);
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
    /// <inheritdoc cref="Train(RecurrentClassifier, DatasetSplit, DatasetSplit, CancellationToken, Checkpoint)" path="/exception"/>
    public TrainingResult Train(RecurrentClassifier model, DatasetSplit train, CancellationToken cancellationToken = default, Checkpoint? resume = null) =>
        Train(model, train, validation: null, cancellationToken, resume);

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> up to <see cref="TrainingOptions.Steps"/> steps, from the start or
    /// from <paramref name="resume"/>, evaluating it on <paramref name="validation"/> (read in the same order) every
    /// <see cref="TrainingOptions.ValidateEvery"/> steps and after the last step, and stopping early when
    /// <see cref="TrainingOptions.EarlyStopPatience"/> says so.
    /// </summary>
    /// <param name="model">The classifier, already on the device <paramref name="train"/> is on.</param>
    /// <param name="train">Training images (count, rows, columns) and labels.</param>
    /// <param name="validation">Held-out images of the same size and their labels, on the same device; null for none.</param>
    /// <param name="cancellationToken">Checked before every step; on cancellation a checkpoint is written first (with <see cref="Checkpoints"/>).</param>
    /// <param name="resume">A checkpoint of this run to continue from: with the same data and thread count on a CPU, the result is the same as an uninterrupted run.</param>
    /// <exception cref="TrainingCanceledException">Cancellation was requested; it says the steps completed and the checkpoint written.</exception>
    /// <exception cref="TrainingDivergedException">Too many consecutive steps had a non-finite loss or gradient.</exception>
    /// <exception cref="CheckpointException"><paramref name="resume"/> does not fit the model or data.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch size exceeds the training set.</exception>
    /// <exception cref="InsufficientMemoryException">Training this model on this batch size cannot fit in the CPU memory available.</exception>
    /// <exception cref="ArgumentException">The options need validation data and none was given, or <see cref="Scheduler"/> is set beside a schedule that is not constant.</exception>
    public TrainingResult Train(RecurrentClassifier model, DatasetSplit train, DatasetSplit? validation, CancellationToken cancellationToken = default, Checkpoint? resume = null)
    {
        var options = Options;
        var dataDevice = train.Images.device_type;
        if ((options.Device == DeviceChoice.Cuda && dataDevice != DeviceType.CUDA) || (options.Device == DeviceChoice.Cpu && dataDevice != DeviceType.CPU))
            throw new ArgumentException(
                $"TrainingOptions.Device is {options.Device} but the training data is on {train.Images.device}; put the model and data on that device, or leave Device at Auto.");
        if (Scheduler is not null && options.Schedule.Kind != ScheduleKind.Constant)
            throw new ArgumentException($"TrainingOptions.Schedule is {options.Schedule} and Trainer.Scheduler is set too; leave the schedule constant and let the scheduler drive the rate.");
        if (validation is null && options.NeedsValidation)
            throw new ArgumentException(
                "TrainingOptions.EarlyStopPatience, TrainingOptions.RestoreBestWeights and a reduce-on-plateau TrainingOptions.Schedule read the validation loss; pass validation data to Train.");
        if (validation is not null && (validation.Images.shape[1] != train.Images.shape[1] || validation.Images.shape[2] != train.Images.shape[2]
                                       || validation.Images.device_type != train.Images.device_type || validation.Images.device_index != train.Images.device_index))
            throw new ArgumentException("the validation data must have the training data's sequence length, features and device.");
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
        using var validations = validation is null ? null : new ValidationTracker(validation, options.Order, options);
        var learningRate = new LearningRateControl(options, optimizer, Scheduler);
        if (learningRate.NeedsValidation && validations is null)
            throw new ArgumentException("Trainer.Scheduler made a ReduceLROnPlateau, which reads the validation loss; pass validation data to Train.");
        var state = new TrainingState(model, optimizer, batches, 0, options, train, DataFingerprint.Of(train)) { Validation = validations };
        if (resume is not null)
        {
            resume.Restore(state);
            LastCheckpoint = resume.Path;
            learningRate.Replay(resume.Info.Step, validations?.History ?? []);
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
        int last = first - 1;

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
                throw new TrainingCanceledException(step - 1, LastCheckpoint, cancellationToken);
            }
            using var scope = NewDisposeScope();
            bool logged = options.LogCadence.ShouldLog(step, options.Steps);
            // Checkpoints are only written after a step whose update applied, which the host must know first.
            bool due = step == options.Steps || (options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0);
            bool validating = validations?.IsDue(step, options.Steps) == true;
            learningRate.BeforeStep(step);
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
                // A validation is a decision point (best weights, stopping): the steps before it are reported first.
                if (logged || due || validating || pending.IsFull) ReportPending();
            }
            last = step;
            learningRate.AfterStep();
            MeasureGradientFlow(model, train, layout, step);
            bool stopping = false;
            if (validating)
            {
                var record = validations!.Validate(model, step);
                TrainingLog.Validation(_logger, step, record.Loss, record.Accuracy, record.IsBest ? " (best)" : "");
                learningRate.AfterValidation(record);
                ValidationCompleted?.Invoke(record);
                stopping = validations.ShouldStop && step < options.Steps;
                if (record.IsBest && Checkpoints?.KeepBest == true && nonFiniteInARow == 0) SaveBestCheckpoint(state, step);
            }
            // A step whose update was skipped is not a good state to resume from.
            if ((due || stopping) && nonFiniteInARow == 0) SaveCheckpoint(state, step);
            if (stopping)
            {
                TrainingLog.StoppedEarly(_logger, step, validations!.WithoutImprovement, validations.Best!.Step);
                break;
            }
        }
        clock.Stop();
        // Ending inside a run of skipped updates is divergence too, only cut short by the step count: the
        // last step's loss is not finite and no final checkpoint was written.
        if (nonFiniteInARow > 0) throw new TrainingDivergedException(last, nonFiniteInARow, LastCheckpoint);
        int weightsFrom = last;
        if (options.RestoreBestWeights && validations?.Best is { } best)
        {
            validations.RestoreBest(model);
            weightsFrom = best.Step;
        }
        return new TrainingResult(last - first + 1, options.BatchSize, clock.Elapsed.TotalSeconds, metrics!)
        {
            LastStepNumber = last,
            StoppedEarly = last < options.Steps,
            Validations = validations?.History.ToList() ?? [],
            BestValidation = validations?.Best,
            WeightsFromStep = weightsFrom,
            LastCheckpoint = LastCheckpoint,
        };
    }

    private void SaveBestCheckpoint(TrainingState state, int step)
    {
        string path = Checkpoints!.SaveBest(state with { Step = step }, state.Train.Images.device.ToString());
        TrainingLog.CheckpointWritten(_logger, step, path);
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
