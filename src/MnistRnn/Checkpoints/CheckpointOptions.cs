using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>The training options as a checkpoint stores them: plain names and numbers.</summary>
internal sealed class CheckpointOptions
{
    public string Model { get; set; } = "";
    public int Steps { get; set; }
    public int BatchSize { get; set; }
    public double LearningRate { get; set; }
    public int? CosineWarmupSteps { get; set; }
    public double CosineFinalFraction { get; set; }
    public int HiddenSize { get; set; }
    // Absent from checkpoints written before models had more than one layer or direction, or weight decay.
    public int? Layers { get; set; }
    public bool? Bidirectional { get; set; }
    public double? Dropout { get; set; }
    public double? WeightDecay { get; set; }
    public double? ClipNorm { get; set; }
    public double? ClipValue { get; set; }
    public long Seed { get; set; }
    public string Order { get; set; } = "";
    public int StallWindow { get; set; }
    public int MaxNonFiniteSteps { get; set; }
    public int CheckpointEvery { get; set; }
    public int? LogEvery { get; set; }
    // Absent from checkpoints written before validation and the TorchSharp-driven schedules.
    public string? Schedule { get; set; }
    public double? PlateauFactor { get; set; }
    public int? PlateauPatience { get; set; }
    public int? ValidateEvery { get; set; }
    public string? Monitor { get; set; }
    public double? MinDelta { get; set; }
    public int? EarlyStopPatience { get; set; }
    public bool? RestoreBestWeights { get; set; }

    public static CheckpointOptions From(TrainingOptions options) => new()
    {
        Model = options.Model.ToName(),
        Steps = options.Steps,
        BatchSize = options.BatchSize,
        LearningRate = options.LearningRate,
        CosineWarmupSteps = options.Schedule.IsCosine ? options.Schedule.WarmupSteps : null,
        CosineFinalFraction = options.Schedule.FinalFraction,
        HiddenSize = options.HiddenSize,
        Layers = options.Layers,
        Bidirectional = options.Bidirectional,
        Dropout = options.Dropout,
        WeightDecay = options.WeightDecay,
        ClipNorm = options.ClipNorm,
        ClipValue = options.ClipValue,
        Seed = options.Seed,
        Order = options.Order.ToName(),
        StallWindow = options.StallWindow,
        MaxNonFiniteSteps = options.MaxNonFiniteSteps,
        CheckpointEvery = options.CheckpointEvery,
        LogEvery = options.LogCadence.Every,
        Schedule = options.Schedule.Kind.ToString(),
        PlateauFactor = options.Schedule.NeedsValidation ? options.Schedule.Factor : null,
        PlateauPatience = options.Schedule.NeedsValidation ? options.Schedule.Patience : null,
        ValidateEvery = options.ValidateEvery,
        Monitor = options.Monitor.ToString(),
        MinDelta = options.MinDelta,
        EarlyStopPatience = options.EarlyStopPatience,
        RestoreBestWeights = options.RestoreBestWeights,
    };

    /// <exception cref="CheckpointException">The stored options are not valid.</exception>
    public TrainingOptions ToTrainingOptions(string path)
    {
        if (!CellKindNames.TryParse(Model, out var model) || !SequenceOrderNames.TryParse(Order, out var order))
            throw new CheckpointException($"{path}: the checkpoint names an unknown cell '{Model}' or order '{Order}'.");
        var defaults = new TrainingOptions();
        ScheduleKind kind = ScheduleKind.Constant;
        ValidationMetric monitor = defaults.Monitor;
        if ((Schedule is not null && !Enum.TryParse(Schedule, out kind)) || (Monitor is not null && !Enum.TryParse(Monitor, out monitor)))
            throw new CheckpointException($"{path}: the checkpoint names an unknown schedule or validation metric.");
        var options = new TrainingOptions
        {
            Model = model,
            Steps = Steps,
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            Schedule = kind switch
            {
                ScheduleKind.OneCycle => LearningRateSchedule.OneCycle,
                ScheduleKind.ReduceOnPlateau when PlateauFactor is > 0 and < 1 && PlateauPatience is >= 0 =>
                    LearningRateSchedule.ReduceOnPlateau(PlateauFactor.Value, PlateauPatience.Value),
                ScheduleKind.ReduceOnPlateau => throw new CheckpointException($"{path}: the checkpoint's plateau schedule has no valid factor and patience."),
                // Older checkpoints name no kind: a cosine warm-up marks the cosine schedule.
                _ => CosineWarmupSteps is int warmup && warmup >= 0 && CosineFinalFraction is >= 0 and <= 1
                    ? LearningRateSchedule.Cosine(warmup, CosineFinalFraction) : LearningRateSchedule.Constant,
            },
            HiddenSize = HiddenSize,
            Layers = Layers ?? 1,
            Bidirectional = Bidirectional ?? false,
            Dropout = Dropout ?? 0,
            WeightDecay = WeightDecay ?? 0,
            ClipNorm = ClipNorm,
            ClipValue = ClipValue,
            Seed = Seed,
            Order = order,
            StallWindow = StallWindow,
            MaxNonFiniteSteps = MaxNonFiniteSteps,
            CheckpointEvery = CheckpointEvery,
            LogCadence = LogEvery is int every ? LogCadence.EveryNSteps(every) : LogCadence.Experiment,
            ValidateEvery = ValidateEvery ?? defaults.ValidateEvery,
            Monitor = monitor,
            MinDelta = MinDelta ?? defaults.MinDelta,
            EarlyStopPatience = EarlyStopPatience,
            RestoreBestWeights = RestoreBestWeights ?? false,
        };
        var problem = options.Problems().FirstOrDefault();
        return problem is null ? options
            : throw new CheckpointException($"{path}: the checkpoint's options are not valid ({problem.Property} {problem.Message}).");
    }
}
