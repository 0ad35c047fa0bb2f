using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Training.Callbacks;
using MnistRnn.Models;
using MnistRnn.Performance;
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

    /// <summary>
    /// What observes and extends training, called in this order after the trainer's own (step lines, stall warnings,
    /// gradient flow, early stopping): a <see cref="CheckpointStore"/> writes checkpoints, a <see cref="TrainingObserver"/>
    /// passes steps and validations to delegates, and any <see cref="TrainingCallback"/> can steer the run. Read when
    /// <c>Train</c> starts. Default: none.
    /// </summary>
    public IList<TrainingCallback> Callbacks { get; init; } = [];

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
    /// How log lines and messages name a <see cref="TrainingOptions"/> property (the stall warning's advice, a diverged run's): by default as
    /// <c>TrainingOptions.NAME</c> (<see cref="OptionsPropertyName"/>); a command line passes its flags' names.
    /// </summary>
    public Func<string, string> SettingName { get; init; } = OptionsPropertyName;

    /// <summary>A property of <see cref="TrainingOptions"/> as the library's messages name it: <c>TrainingOptions.NAME</c>.</summary>
    public static string OptionsPropertyName(string property) => $"TrainingOptions.{property}";

    /// <summary>
    /// Most steps whose metrics wait on the device under <see cref="StepExecution.DeviceResident"/> before they are
    /// read back and reported: one wait per this many steps costs nothing measurable, and it bounds how late a
    /// divergence or a stall is noticed.
    /// </summary>
    public const int MaxPendingSteps = 100;

    /// <summary>Sequences in the probe batch of <see cref="Diagnostics.GradientFlow"/>: the first items of the training split.</summary>
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
        DeviceSelection.EnsureAvailable(device);
        var architecture = Options.Architecture(inputSize, classes);
        architecture.EnsureValid();
        if (device.type == DeviceType.CPU)
            MemoryEstimate.EnsureFits(architecture.ParameterCount * (double)sizeof(float),
                $"the weights of the {Options.Cell.ToName()} model of hidden size {Options.HiddenSize}", "use a smaller hidden size");
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
    /// <param name="cancellationToken">Checked before every step; on cancellation every callback's <see cref="TrainingCallback.OnInterrupted"/> runs first (a <see cref="CheckpointStore"/> writes a checkpoint).</param>
    /// <param name="resume">A checkpoint of this run to continue from: with the same data and thread count on a CPU, the result is the same as an uninterrupted run.</param>
    /// <exception cref="ArgumentException">The model does not fit the data, or <see cref="TrainingOptions.Order"/> asks to rearrange images.</exception>
    /// <inheritdoc cref="Train(RecurrentClassifier, SequenceDataset, SequenceDataset, CancellationToken, Checkpoint)" path="/exception"/>
    public TrainingResult Train(RecurrentClassifier model, SequenceDataset data, CancellationToken cancellationToken = default, Checkpoint? resume = null) =>
        Train(model, data, validation: null, cancellationToken, resume);

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/> as <see cref="Train(RecurrentClassifier, SequenceDataset, CancellationToken, Checkpoint)"/>,
    /// evaluating it on <paramref name="validation"/> every <see cref="TrainingOptions.ValidateEvery"/> steps and after the last:
    /// each evaluation goes to every callback's <see cref="TrainingCallback.OnValidationEnd"/>, and it drives <see cref="TrainingOptions.EarlyStopPatience"/>,
    /// <see cref="TrainingOptions.RestoreBestWeights"/> and a schedule on the validation loss.
    /// </summary>
    /// <param name="model">The classifier, on the device <paramref name="data"/> is on, with its features and classes.</param>
    /// <param name="data">The training sequences.</param>
    /// <param name="validation">Sequences held out from <paramref name="data"/>, with the same features and classes; null for none.</param>
    /// <param name="cancellationToken">Checked before every step; on cancellation every callback's <see cref="TrainingCallback.OnInterrupted"/> runs first (a <see cref="CheckpointStore"/> writes a checkpoint).</param>
    /// <param name="resume">A checkpoint of this run to continue from: with the same data and thread count on a CPU, the result is the same as an uninterrupted run.</param>
    /// <exception cref="ArgumentException">
    /// The model does not fit the data (its features, classes or number type); <see cref="TrainingOptions.BatchSize"/> exceeds the
    /// training sequences; <see cref="TrainingOptions.Order"/> asks to rearrange images; the options need validation data and
    /// none was given; or <see cref="Scheduler"/> is set beside a schedule that is not constant or builds a scheduler on another optimizer.
    /// </exception>
    /// <exception cref="TrainingCanceledException">Cancellation was requested; it says the steps completed and the checkpoint written.</exception>
    /// <exception cref="TrainingDivergedException">Too many consecutive steps had a non-finite loss or gradient.</exception>
    /// <exception cref="CheckpointException"><paramref name="resume"/> does not fit the model or data.</exception>
    /// <exception cref="InsufficientMemoryException">Training this model on this batch size cannot fit in the CPU memory available.</exception>
    /// <exception cref="InvalidOperationException">The model was trained by an earlier call and no checkpoint to resume from is given.</exception>
    public TrainingResult Train(RecurrentClassifier model, SequenceDataset data, SequenceDataset? validation, CancellationToken cancellationToken = default,
        Checkpoint? resume = null)
    {
        if (Options.Order != SequenceOrder.Rows)
            throw new ArgumentException(
                $"{SettingName(nameof(TrainingOptions.Order))} is {Options.Order}, which turns images into pixel sequences; a SequenceDataset is already sequences, so leave Order at Rows.",
                nameof(TrainingOptions.Order));
        return Train(model, data, validation, data.Identity(), cancellationToken, resume);
    }

    /// <summary>
    /// The one training loop: <paramref name="data"/> and <paramref name="validation"/> are sequences, whatever they were
    /// made from, and <paramref name="identity"/> is what a checkpoint records of that source.
    /// </summary>
    internal TrainingResult Train(RecurrentClassifier model, SequenceDataset data, SequenceDataset? validation, DataIdentity identity,
        CancellationToken cancellationToken, Checkpoint? resume)
    {
        var options = Options;
        if (model.TrainedByTrainer && resume is null)
            throw new InvalidOperationException(
                "this model was already trained by Trainer.Train, and a second call would start a new optimizer and replay the batch order " +
                "from the seed instead of continuing; to train further, pass the run's checkpoint as resume (a CheckpointStore writes one) " +
                $"or train once with more {SettingName(nameof(TrainingOptions.Steps))}, and to start over, build a new model with CreateModel.");
        data.EnsureFits(model);
        if (options.DataProblem(data.Count) is { } tooLarge)
            throw new ArgumentException($"{SettingName(tooLarge.Property)} {tooLarge.Message}", tooLarge.Property);
        validation?.EnsureFits(model);
        if (data.Lengths is not null && options.GradientFlowSteps.Count > 0)
            throw new ArgumentException($"{SettingName(nameof(TrainingOptions.GradientFlowSteps))} needs sequences of one length; this data has Lengths.", nameof(TrainingOptions.GradientFlowSteps));
        var device = data.Device;
        if ((options.Device == DeviceChoice.Cuda && device.type != DeviceType.CUDA) || (options.Device == DeviceChoice.Cpu && device.type != DeviceType.CPU))
            throw new ArgumentException(
                $"{SettingName(nameof(TrainingOptions.Device))} is {options.Device} but the training data is on {device}; put the model and data on that device, or leave Device at Auto.",
                nameof(TrainingOptions.Device));
        if (Scheduler is not null && options.Schedule.Kind != ScheduleKind.Constant)
            throw new ArgumentException(
                $"{SettingName(nameof(TrainingOptions.Schedule))} is {options.Schedule} and Trainer.Scheduler is set too; leave the schedule constant and let the scheduler drive the rate.",
                nameof(TrainingOptions.Schedule));
        if (validation is not null && (validation.Steps != data.Steps || validation.Device.type != device.type || validation.Device.index != device.index))
            throw new ArgumentException("the validation data must have the training data's sequence length, features and device.");
        TrainingLog.Starting(_logger, options.Cell.ToName(), device.ToString(), options.Steps, options.BatchSize,
            options.LearningRate, options.ClipNorm?.ToString() ?? "off", options.ClipValue?.ToString() ?? "off", options.Seed);
        if (device.type == DeviceType.CPU)
            MemoryEstimate.EnsureFits(MemoryEstimate.TrainingBytes(model.Options, data.Steps, options.BatchSize),
                $"training the {model.Cell.ToName()} model of hidden size {model.HiddenSize} on batches of {options.BatchSize} sequences of {data.Steps} steps",
                "use a smaller batch or hidden size");
        // Threads first, so that the precision is measured as the run will compute; both decided before the run is
        // built, so that its checkpoints record what it trains with.
        var threads = ThreadChoice.For(options, resume);
        LogThreads(threads);
        int threadsBefore = get_num_threads();
        List<TrainingCallback> builtIn = [];
        set_num_threads(threads.Threads);
        try
        {
            var precision = PrecisionChoice.For(options, model, options.BatchSize, data.Steps, resume);
            if (options.Precision == Precision.Auto) TrainingLog.PrecisionChosen(_logger, precision.Precision.ToName(), precision.Reason);
            else if (precision.Emulated) TrainingLog.PrecisionEmulated(_logger, precision.Precision.ToName(), precision.Reason);
            options = options with { Precision = precision.Precision };
            builtIn = [.. BuiltInCallbacks(model)];
            using var run = new TrainingRun(options, model, data, validation, identity, Scheduler, [.. builtIn, .. Callbacks], _logger, SettingName);
            model.TrainedByTrainer = true;
            return run.Run(cancellationToken, resume) with { PrecisionChoice = precision, ThreadChoice = threads };
        }
        finally
        {
            foreach (var callback in builtIn.OfType<IDisposable>()) callback.Dispose();
            set_num_threads(threadsBefore);
        }
    }

    // A count the load lowered is worth a line; one that was given, kept or left at every core is not.
    private void LogThreads(ThreadChoice threads)
    {
        if (threads.Source == ThreadSource.Load && threads.Threads < TorchThreads.PhysicalCores())
            TrainingLog.ThreadsChosen(_logger, threads.Threads, threads.Reason);
        else
            TrainingLog.ThreadsKept(_logger, threads.Threads, threads.Reason);
    }

    // The trainer's own concerns, as callbacks like anyone's, so that each lives in one place. The weight average comes
    // first: every other callback's validation end and training end then sees the weights it left.
    private IEnumerable<TrainingCallback> BuiltInCallbacks(RecurrentClassifier model)
    {
        if (WeightAverage.For(Options, model) is { } average) yield return average;
        yield return new StepLogging();
        if (Options.StallWindow > 0) yield return new StallWarning(Options.StallWindow, model.Classes, SettingName);
        if (Options.GradientFlowSteps.Count > 0) yield return new GradientFlowProbe();
        if (Options.EarlyStopPatience is int patience) yield return new EarlyStopping(patience);
        if (TimeBudget.For(Options) is { } budget) yield return budget;
    }

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="data"/> and logs the experiment's final line.</summary>
    /// <exception cref="ArgumentException">The model does not fit the data.</exception>
    public EvaluationResult Evaluate(RecurrentClassifier model, SequenceDataset data)
    {
        var result = ModelEvaluation.Evaluate(model, data);
        TrainingLog.Final(_logger, result.Loss, result.Accuracy);
        return result;
    }

}
