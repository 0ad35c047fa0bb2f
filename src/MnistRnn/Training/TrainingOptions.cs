using MnistRnn.Data;
using MnistRnn.Models;

namespace MnistRnn.Training;

/// <summary>
/// Everything that defines a training run, and how it is driven. Checkpoints record every setting but the device, step mode
/// and gradient-flow probes, which belong to the machine that trains rather than to the run. The defaults are the experiment
/// this project grew from (hidden 128, Adam at 0.01, batch 100, 5000 steps), plus gradient clipping by norm.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>
    /// Default global-norm clipping threshold, chosen by measurement: the LSTM's gradient norm stays below it, so it
    /// trains as unclipped, while a runaway gradient is still caught (the README's results table has the figures).
    /// </summary>
    public const double DefaultClipNorm = 5.0;

    /// <summary>Largest learning rate accepted.</summary>
    public const double MaxLearningRate = 10;

    /// <summary>The widest hidden state accepted (see <see cref="RecurrentClassifierOptions.MaxHiddenSize"/>).</summary>
    public const int MaxHiddenSize = RecurrentClassifierOptions.MaxHiddenSize;

    /// <summary>The recurrent cell. Default: LSTM.</summary>
    [Setting("model", "Recurrent cell: rnn (tanh), lstm, gru or irnn (ReLU RNN with identity-initialised recurrence).",
        FileKey = "model")]
    [RunDefining]
    public CellKind Cell { get; init; } = CellKind.Lstm;

    /// <summary>The recurrent cell: the name <see cref="Cell"/> had in 0.1; it goes in 0.3.</summary>
    [Obsolete("Renamed to Cell in 0.2; Model goes in 0.3.")]
    public CellKind Model
    {
        get => Cell;
        init => Cell = value;
    }

    /// <summary>Optimizer steps (mini-batches) to train for. Default: 5000.</summary>
    [Setting("steps", "Training steps (mini-batches).",
        FileKey = "steps")]
    public int Steps { get; init; } = 5000;

    /// <summary>Sequences per mini-batch. Default: 100.</summary>
    [Setting("batch-size", "Sequences per mini-batch.",
        FileKey = "batch_size")]
    [RunDefining]
    public int BatchSize { get; init; } = 100;

    /// <summary>Adam's learning rate. Default: 0.01.</summary>
    [Setting("lr", "Adam learning rate (the peak of a schedule).",
        FileKey = "learning_rate")]
    [RunDefining]
    public double LearningRate { get; init; } = 0.01;

    /// <summary>How the learning rate changes over training; <see cref="LearningRate"/> is its peak. Default: constant.</summary>
    [Setting("schedule", "Learning-rate schedule: constant; cosine (linear warm-up over --warmup steps, then cosine decay to 0); one-cycle (TorchSharp's " +
        "OneCycleLR over the run); or plateau (cut the rate tenfold after 2 validations without a lower validation loss; needs --validation). " +
        "--lr is the peak.",
        FileKey = "schedule")]
    [RunDefining]
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Width of the recurrent hidden state. Default: 128.</summary>
    [Setting("hidden", "Hidden state width.",
        FileKey = "hidden_size")]
    [RunDefining]
    public int HiddenSize { get; init; } = 128;

    /// <summary>Stacked recurrent layers. Default: 1.</summary>
    [Setting("layers", "Stacked recurrent layers.",
        FileKey = "layers")]
    [RunDefining]
    public int Layers { get; init; } = 1;

    /// <summary>Whether each layer also reads the sequence backwards. Default: false.</summary>
    [Setting("bidirectional", "Read each sequence in both directions in every layer.",
        FileKey = "bidirectional")]
    [RunDefining]
    public bool Bidirectional { get; init; }

    /// <summary>Dropout between recurrent layers while training; needs <see cref="Layers"/> of 2 or more. Default: 0.</summary>
    [Setting("dropout", "Dropout between recurrent layers while training (needs --layers 2 or more).",
        FileKey = "dropout")]
    [RunDefining]
    public double Dropout { get; init; }

    /// <summary>
    /// Decoupled weight decay, as <c>torch.optim.AdamW</c>'s: every step first shrinks each weight by
    /// learning rate times this. Default: 0 (plain Adam, as in the experiment).
    /// </summary>
    [Setting("weight-decay", "Decoupled weight decay, as AdamW's; 0 is plain Adam.",
        FileKey = "weight_decay")]
    [RunDefining]
    public double WeightDecay { get; init; }

    /// <summary>Rescale gradients whose global L2 norm exceeds this; null turns norm clipping off. Default: <see cref="DefaultClipNorm"/>.</summary>
    [Setting("clip-norm", "Rescale gradients whose global L2 norm exceeds this; 0 turns norm clipping off.",
        FileKey = "clip_norm", ZeroMeansNull = true)]
    [RunDefining]
    public double? ClipNorm { get; init; } = DefaultClipNorm;

    /// <summary>Clamp every gradient element to [-value, value] after norm clipping; null (the default) turns it off.</summary>
    [Setting("clip-value", "Clamp each gradient element to [-v, v] after norm clipping; 0 turns it off.",
        FileKey = "clip_value", ZeroMeansNull = true)]
    [RunDefining]
    public double? ClipValue { get; init; }

    /// <summary>Seed for weight initialisation and batch order. Default: 1.</summary>
    [Setting("seed", "Seed for initial weights, batch order and the validation hold-out.",
        FileKey = "seed")]
    [RunDefining]
    public long Seed { get; init; } = 1;

    /// <summary>Where to train. Default: <see cref="DeviceChoice.Auto"/> (CUDA when available, else CPU).</summary>
    [Setting("device", "auto (CUDA when this build and the machine have it), cpu or cuda.",
        PerRun = false)]
    public DeviceChoice Device { get; init; } = DeviceChoice.Auto;

    /// <summary>
    /// CPU threads libtorch computes with while training (set on the training thread, the previous count restored when
    /// <c>Train</c> returns). Null (the default): the trainer decides when training starts: a resumed run keeps its
    /// checkpoint's count; a count set before training is kept (<c>torch.set_num_threads</c> to a count that is not one of
    /// the machine's own core counts, <c>OMP_NUM_THREADS</c>, a <see cref="Studies.SeedStudy"/>); else the physical cores
    /// that other work leaves free over 0.1 s, all of them on a quiet machine. <see cref="TrainingResult.ThreadChoice"/> says
    /// which and why.
    /// </summary>
    [Setting(null, "CPU threads for tensor operations.",
        PerRun = false)]
    public int? Threads { get; init; }

    /// <summary>When to log a step line. Default: the experiment's cadence (every 100 steps to 1500, then every 1000).</summary>
    [Setting("log-every", "Log every N steps [default: every 100 steps to 1500, then every 1000, as the original experiment].",
        FileKey = "log_cadence", PerRun = false)]
    public LogCadence LogCadence { get; init; } = LogCadence.Experiment;

    /// <summary>How images become sequences. Default: <see cref="SequenceOrder.Rows"/>, the experiment's order.</summary>
    [Setting("order", "How an image becomes a sequence: rows (28 steps of 28 pixels), pixels (784 steps of 1) or permuted (784 steps in a fixed random order).",
        FileKey = "order")]
    [RunDefining]
    public SequenceOrder Order { get; init; } = SequenceOrder.Rows;

    /// <summary>
    /// Steps over which a loss near chance counts as a stall worth a warning (see
    /// <see cref="Diagnostics.StallDetector"/>); 0 turns the check off. Default: 500, a tenth of the experiment.
    /// </summary>
    [Setting("stall-window", "Warn once when the loss stays near chance for this many steps; 0 turns the check off.",
        FileKey = "stall_window", PerRun = false)]
    public int StallWindow { get; init; } = 500;

    /// <summary>
    /// Consecutive steps with a non-finite loss or gradient (whose updates are skipped) after which
    /// training stops with <see cref="TrainingDivergedException"/>. Default: 10.
    /// </summary>
    [Setting("max-nonfinite", "Stop after this many consecutive steps with a non-finite loss or gradient (their updates are skipped).",
        FileKey = "max_non_finite_steps", PerRun = false)]
    public int MaxNonFiniteSteps { get; init; } = 10;

    /// <summary>
    /// Steps between checkpoints when the trainer has a <see cref="Checkpoints.CheckpointStore"/>; 0 means only
    /// at the end and on interruption. Default: 1000.
    /// </summary>
    [Setting("checkpoint-every", "Write a checkpoint every N steps (and always after the last step and on Ctrl+C); 0 writes only those.",
        FileKey = "checkpoint_every", PerRun = false)]
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>
    /// Steps after which to measure <see cref="Diagnostics.GradientFlow"/> on a fixed probe batch; 0 means
    /// before the first update. Default: none.
    /// </summary>
    public IReadOnlyList<int> GradientFlowSteps { get; init; } = [];

    /// <summary>
    /// Steps between evaluations of the validation data, when training is given some; it is also evaluated after the
    /// last step. Default: 500 (about an epoch of MNIST's 55,000 training images at batch 100 is 550 steps).
    /// </summary>
    [Setting("validate-every", "Evaluate the validation images every N steps (and after the last).",
        FileKey = "validate_every")]
    [RunDefining]
    public int ValidateEvery { get; init; } = 500;

    /// <summary>The validation figure that decides which weights are best and when to stop early. Default: <see cref="ValidationMetric.Loss"/>.</summary>
    [Setting("monitor", "The validation figure that decides the best weights and early stopping.",
        FileKey = "monitor")]
    [RunDefining]
    public ValidationMetric Monitor { get; init; } = ValidationMetric.Loss;

    /// <summary>
    /// How much <see cref="Monitor"/> must improve on the best so far to count as an improvement (absolute: loss must
    /// fall, or accuracy rise, by more than this). Default: 0.
    /// </summary>
    [Setting("min-delta", "How much the monitored figure must improve on the best to count as an improvement.",
        FileKey = "min_delta")]
    [RunDefining]
    public double MinDelta { get; init; }

    /// <summary>
    /// Stop when this many validations in a row have not improved on the best (Keras's <c>EarlyStopping(patience)</c>);
    /// null (the default) never stops early. Needs validation data.
    /// </summary>
    [Setting("early-stop", "Stop when P validations in a row have not improved on the best; needs --validation.",
        FileKey = "early_stop_patience", ValueName = "P")]
    [RunDefining]
    public int? EarlyStopPatience { get; init; }

    /// <summary>
    /// Whether training ends with the model holding the weights of its best validation rather than its last step
    /// (Keras's <c>restore_best_weights</c>). Needs validation data. Default: false.
    /// </summary>
    [Setting(null, "End training with the weights of the best validation.",
        FileKey = "restore_best_weights")]
    [RunDefining]
    public bool RestoreBestWeights { get; init; }

    /// <summary>
    /// Keep an exponential moving average of the weights, updated after every optimizer step as
    /// <c>average = decay average + (1 - decay) weights</c> (Keras's <c>use_ema</c>, timm's <c>ModelEmaV2</c>); validation,
    /// the best weights and the trained model are then the averaged weights. Null (the default) keeps none; useful decays
    /// are 0.99 to 0.9999.
    /// </summary>
    [Setting("ema", "Keep an exponential moving average of the weights with this decay (0.99 to 0.9999) and validate, " +
        "evaluate and export the average; 0 keeps none.",
        FileKey = "ema_decay", ZeroMeansNull = true, ValueName = "DECAY")]
    [RunDefining]
    public double? EmaDecay { get; init; }

    /// <summary>
    /// Mini-batches of <see cref="BatchSize"/> whose gradients are summed into one optimizer step, as if one batch
    /// <see cref="BatchSize"/> times this large had been drawn: for batches that do not fit in memory. A step still counts
    /// once in <see cref="Steps"/>, the logs and the learning rate, and the summed gradient is clipped before the update.
    /// Default: 1.
    /// </summary>
    [Setting("accumulate", "Sum the gradients of K mini-batches into each optimizer step, as one batch K times as large.",
        FileKey = "accumulate_batches", ValueName = "K")]
    [RunDefining]
    public int AccumulateBatches { get; init; } = 1;

    /// <summary>
    /// The number format of the forward and backward passes: float32, bfloat16 mixed precision (float32 weights,
    /// gradients, optimizer state, loss and validation; see <see cref="Training.Precision"/>), or auto, decided by a
    /// measurement when training starts (<see cref="TrainingResult.PrecisionChoice"/> says which and why). Default: float32.
    /// </summary>
    [Setting("precision", "Number format of the forward and backward passes: 32 (float32), bf16-mixed (bfloat16, with float32 weights, optimizer, loss and validation), " +
        "or auto (bf16-mixed where a measurement at the start finds it at least 1.2x faster on this machine; the summary says why).",
        FileKey = "precision")]
    [RunDefining]
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>Sequences one optimizer step trains on: <see cref="BatchSize"/> times <see cref="AccumulateBatches"/>.</summary>
    public int SequencesPerStep => BatchSize * AccumulateBatches;

    /// <summary>
    /// Training time after which the run stops, after the step that crosses it, as Lightning's <c>max_time</c>: it counts
    /// the training time of the whole run, a resumed checkpoint's included, so a resumed run needs a larger budget to train
    /// further. Null (the default) trains all <see cref="Steps"/>.
    /// </summary>
    [Setting("max-time", "Stop after the step that brings the run's training time to this (HH:MM:SS or DD:HH:MM:SS), write its checkpoint and " +
        "evaluate; a resumed run counts on from its checkpoint's time, so give a larger budget to continue.",
        FileKey = "max_time_seconds", PerRun = false, ValueName = "HH:MM:SS")]
    public TimeSpan? MaxTime { get; init; }

    /// <summary>The largest <see cref="MaxTime"/> accepted, in seconds: a year.</summary>
    public const double MaxTimeLimitSeconds = 365 * 24 * 3600;

    /// <summary>Most mini-batches <see cref="AccumulateBatches"/> may sum.</summary>
    public const int MaxAccumulateBatches = 1024;

    /// <summary>Whether these options read validation data (early stopping, best weights, or a schedule on the validation loss).</summary>
    public bool NeedsValidation => ValidationReader is not null;

    /// <summary>The first setting that reads the validation loss (early stopping, the best weights, a plateau schedule), or null when none does.</summary>
    public string? ValidationReader =>
        EarlyStopPatience is not null ? nameof(EarlyStopPatience)
        : RestoreBestWeights ? nameof(RestoreBestWeights)
        : Schedule?.NeedsValidation == true ? nameof(Schedule)
        : null;

    /// <summary>How each step is driven; see <see cref="Training.StepExecution"/>. Default: <see cref="StepExecution.Auto"/>.</summary>
    [Setting("step-mode", "How training steps are driven: auto (resident on a GPU, sync on the CPU); sync reads the loss back after every step; " +
        "resident keeps parameters, clipping, Adam and the skip of non-finite steps on the device and reads metrics back in batches.",
        PerRun = false)]
    public StepExecution StepExecution { get; init; } = StepExecution.Auto;

    /// <summary>The architecture these options build for data of <paramref name="inputSize"/> features per step and <paramref name="classes"/> classes.</summary>
    public RecurrentClassifierOptions Architecture(int inputSize, int classes) =>
        new(Cell, inputSize, HiddenSize, classes) { Layers = Layers, Bidirectional = Bidirectional, Dropout = Dropout };

    /// <summary>The problems with these options, each naming the property at fault; empty when they are valid.</summary>
    public IReadOnlyList<OptionProblem> Problems()
    {
        var problems = new List<OptionProblem>();
        void Require(bool ok, string property, string message)
        {
            if (!ok) problems.Add(new OptionProblem(property, message));
        }
        // An initializer can set a reference-typed setting to null, which every check below would trip over.
        if (Schedule is null || LogCadence is null || GradientFlowSteps is null)
        {
            Require(Schedule is not null, nameof(Schedule), "must not be null; use LearningRateSchedule.Constant for a constant rate.");
            Require(LogCadence is not null, nameof(LogCadence), "must not be null; use LogCadence.Experiment for the experiment's cadence.");
            Require(GradientFlowSteps is not null, nameof(GradientFlowSteps), "must not be null; use an empty list for no probes.");
            return problems;
        }
        Require(Enum.IsDefined(Cell), nameof(Cell), $"unknown cell kind {Cell}.");
        Require(Steps >= 1, nameof(Steps), $"must be at least 1, got {Steps}.");
        Require(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}.");
        // Above 10 an Adam step size overflows float32 arithmetic; useful rates are far below 1.
        Require(LearningRate > 0 && LearningRate <= MaxLearningRate, nameof(LearningRate), $"must be a positive number up to {MaxLearningRate}, got {LearningRate}.");
        Require(HiddenSize is >= 1 and <= MaxHiddenSize, nameof(HiddenSize), $"must be 1 to {MaxHiddenSize}, got {HiddenSize}.");
        Require(Layers is >= 1 and <= RecurrentClassifierOptions.MaxLayers, nameof(Layers), $"must be 1 to {RecurrentClassifierOptions.MaxLayers}, got {Layers}.");
        Require(Dropout >= 0 && Dropout < 1, nameof(Dropout), $"must be at least 0 and below 1, got {Dropout}.");
        Require(Dropout == 0 || Layers > 1, nameof(Dropout), "applies between layers, so it needs Layers of 2 or more.");
        Require(WeightDecay >= 0 && !(WeightDecay * LearningRate >= 1), nameof(WeightDecay), $"must be at least 0 and, times the learning rate, below 1, got {WeightDecay}.");
        // Clipping thresholds become float32 scalars, so they must fit one.
        Require(ClipNorm is null || (ClipNorm > 0 && ClipNorm <= float.MaxValue), nameof(ClipNorm), $"must be a positive number up to {float.MaxValue:G3}, got {ClipNorm}.");
        Require(ClipValue is null || (ClipValue > 0 && ClipValue <= float.MaxValue), nameof(ClipValue), $"must be a positive number up to {float.MaxValue:G3}, got {ClipValue}.");
        Require(Seed >= 0, nameof(Seed), $"must not be negative, got {Seed}.");
        Require(Enum.IsDefined(Device), nameof(Device), $"unknown device {Device}.");
        Require(Threads is null || Performance.TorchThreads.IsUsable(Threads.Value), nameof(Threads),
            $"must be 1 to the {Environment.ProcessorCount} logical cores this process may use, got {Threads}.");
        Require(Enum.IsDefined(Order), nameof(Order), $"unknown sequence order {Order}.");
        Require(Enum.IsDefined(StepExecution), nameof(StepExecution), $"unknown step execution {StepExecution}.");
        Require(Schedule.WarmupSteps <= Steps, nameof(Schedule), $"warm-up of {Schedule.WarmupSteps} steps exceeds the {Steps} training steps.");
        Require(MaxNonFiniteSteps >= 1, nameof(MaxNonFiniteSteps), $"must be at least 1, got {MaxNonFiniteSteps}.");
        Require(CheckpointEvery >= 0, nameof(CheckpointEvery), $"must not be negative, got {CheckpointEvery}.");
        Require(StallWindow >= 0, nameof(StallWindow), $"must not be negative, got {StallWindow}.");
        Require(GradientFlowSteps.All(s => s >= 0 && s <= Steps), nameof(GradientFlowSteps),
            $"must lie between 0 and the {Steps} training steps, got {string.Join(", ", GradientFlowSteps)}.");
        Require(ValidateEvery >= 1, nameof(ValidateEvery), $"must be at least 1, got {ValidateEvery}.");
        Require(Enum.IsDefined(Monitor), nameof(Monitor), $"unknown validation metric {Monitor}.");
        Require(MinDelta >= 0 && double.IsFinite(MinDelta), nameof(MinDelta), $"must be a finite number of at least 0, got {MinDelta}.");
        Require(EarlyStopPatience is null or >= 1, nameof(EarlyStopPatience), $"must be at least 1 validation, got {EarlyStopPatience}.");
        Require(EmaDecay is null || (EmaDecay > 0 && EmaDecay < 1), nameof(EmaDecay), $"must be above 0 and below 1, got {EmaDecay}.");
        Require(Enum.IsDefined(Precision), nameof(Precision), $"unknown precision {Precision}.");
        Require(AccumulateBatches is >= 1 and <= MaxAccumulateBatches, nameof(AccumulateBatches), $"must be 1 to {MaxAccumulateBatches}, got {AccumulateBatches}.");
        Require((long)BatchSize * AccumulateBatches <= int.MaxValue, nameof(AccumulateBatches),
            $"times the batch size of {BatchSize} must be at most {int.MaxValue} sequences a step, got {AccumulateBatches}.");
        Require(MaxTime is null || (MaxTime > TimeSpan.Zero && MaxTime.Value.TotalSeconds <= MaxTimeLimitSeconds), nameof(MaxTime),
            $"must be a positive time up to a year, got {MaxTime}.");
        Require(LogCadence.Every is null || LogCadence.Every >= 1, nameof(LogCadence), $"must log at least every step, got every {LogCadence.Every}.");
        return problems;
    }

    /// <summary>
    /// The problem with these options for training data of <paramref name="sequences"/> sequences, naming the property at
    /// fault: a batch, or a step's batches together, larger than the data; null when they fit.
    /// </summary>
    public OptionProblem? DataProblem(int sequences) =>
        BatchSize > sequences ? new(nameof(BatchSize), $"is {BatchSize}, more than the {sequences} training sequences; use at most {sequences}.")
        : SequencesPerStep > sequences ? new(nameof(AccumulateBatches),
            $"is {AccumulateBatches} with batches of {BatchSize}: {SequencesPerStep} sequences a step, more than the {sequences} training sequences; " +
            "accumulate fewer batches or use smaller ones.")
        : null;

    /// <summary>Throws when <see cref="Problems"/> finds any.</summary>
    /// <exception cref="ArgumentException">The first problem found.</exception>
    public void EnsureValid()
    {
        var problem = Problems().FirstOrDefault();
        if (problem is not null)
            throw new ArgumentException($"{problem.Property} {problem.Message}", problem.Property);
    }
}

/// <summary>One invalid option: the property at fault and what is wrong with its value.</summary>
public sealed record OptionProblem(string Property, string Message);
