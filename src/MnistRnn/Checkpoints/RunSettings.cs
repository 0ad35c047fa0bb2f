using System.Text.Json.Serialization;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>
/// The run's settings as a checkpoint records them (its <c>run</c> object): every key named here, not by the
/// <see cref="TrainingOptions"/> property it comes from, so renaming a property does not change the file format. A key an
/// older checkpoint lacks keeps the library's default. What only says how this machine drives the run (device, step mode,
/// gradient-flow probes) is not recorded.
/// </summary>
internal sealed class RunSettings
{
    private static readonly TrainingOptions Defaults = new();

    [JsonPropertyName("model")] public CellKind Model { get; set; } = Defaults.Cell;
    [JsonPropertyName("steps")] public int Steps { get; set; } = Defaults.Steps;
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; } = Defaults.BatchSize;
    [JsonPropertyName("learning_rate")] public double LearningRate { get; set; } = Defaults.LearningRate;
    [JsonPropertyName("schedule")] public LearningRateSchedule Schedule { get; set; } = Defaults.Schedule;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; } = Defaults.HiddenSize;
    [JsonPropertyName("layers")] public int Layers { get; set; } = Defaults.Layers;
    [JsonPropertyName("bidirectional")] public bool Bidirectional { get; set; } = Defaults.Bidirectional;
    [JsonPropertyName("dropout")] public double Dropout { get; set; } = Defaults.Dropout;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; set; } = Defaults.WeightDecay;
    [JsonPropertyName("clip_norm")] public double? ClipNorm { get; set; } = Defaults.ClipNorm;
    [JsonPropertyName("clip_value")] public double? ClipValue { get; set; } = Defaults.ClipValue;
    [JsonPropertyName("seed")] public long Seed { get; set; } = Defaults.Seed;
    [JsonPropertyName("log_cadence")] public LogCadence LogCadence { get; set; } = Defaults.LogCadence;
    [JsonPropertyName("order")] public SequenceOrder Order { get; set; } = Defaults.Order;
    [JsonPropertyName("stall_window")] public int StallWindow { get; set; } = Defaults.StallWindow;
    [JsonPropertyName("max_non_finite_steps")] public int MaxNonFiniteSteps { get; set; } = Defaults.MaxNonFiniteSteps;
    [JsonPropertyName("checkpoint_every")] public int CheckpointEvery { get; set; } = Defaults.CheckpointEvery;
    [JsonPropertyName("validate_every")] public int ValidateEvery { get; set; } = Defaults.ValidateEvery;
    [JsonPropertyName("monitor")] public ValidationMetric Monitor { get; set; } = Defaults.Monitor;
    [JsonPropertyName("min_delta")] public double MinDelta { get; set; } = Defaults.MinDelta;
    [JsonPropertyName("early_stop_patience")] public int? EarlyStopPatience { get; set; } = Defaults.EarlyStopPatience;
    [JsonPropertyName("restore_best_weights")] public bool RestoreBestWeights { get; set; } = Defaults.RestoreBestWeights;
    [JsonPropertyName("ema_decay")] public double? EmaDecay { get; set; } = Defaults.EmaDecay;
    [JsonPropertyName("accumulate_batches")] public int AccumulateBatches { get; set; } = Defaults.AccumulateBatches;
    [JsonPropertyName("precision")] public Precision Precision { get; set; } = Defaults.Precision;
    [JsonPropertyName("max_time_seconds")] public double? MaxTimeSeconds { get; set; } = Defaults.MaxTime?.TotalSeconds;

    public static RunSettings From(TrainingOptions options) => new()
    {
        Model = options.Cell,
        Steps = options.Steps,
        BatchSize = options.BatchSize,
        LearningRate = options.LearningRate,
        Schedule = options.Schedule,
        HiddenSize = options.HiddenSize,
        Layers = options.Layers,
        Bidirectional = options.Bidirectional,
        Dropout = options.Dropout,
        WeightDecay = options.WeightDecay,
        ClipNorm = options.ClipNorm,
        ClipValue = options.ClipValue,
        Seed = options.Seed,
        LogCadence = options.LogCadence,
        Order = options.Order,
        StallWindow = options.StallWindow,
        MaxNonFiniteSteps = options.MaxNonFiniteSteps,
        CheckpointEvery = options.CheckpointEvery,
        ValidateEvery = options.ValidateEvery,
        Monitor = options.Monitor,
        MinDelta = options.MinDelta,
        EarlyStopPatience = options.EarlyStopPatience,
        RestoreBestWeights = options.RestoreBestWeights,
        EmaDecay = options.EmaDecay,
        AccumulateBatches = options.AccumulateBatches,
        Precision = options.Precision,
        MaxTimeSeconds = options.MaxTime?.TotalSeconds,
    };

    /// <summary>The options these settings describe; the caller checks them with <see cref="TrainingOptions.Problems"/>.</summary>
    /// <exception cref="FormatException">The time budget is not a number of seconds a <see cref="TimeSpan"/> holds.</exception>
    public TrainingOptions ToOptions() => new()
    {
        Cell = Model,
        Steps = Steps,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        Schedule = Schedule ?? throw new FormatException("the schedule is null"),
        HiddenSize = HiddenSize,
        Layers = Layers,
        Bidirectional = Bidirectional,
        Dropout = Dropout,
        WeightDecay = WeightDecay,
        ClipNorm = ClipNorm,
        ClipValue = ClipValue,
        Seed = Seed,
        LogCadence = LogCadence ?? throw new FormatException("the log cadence is null"),
        Order = Order,
        StallWindow = StallWindow,
        MaxNonFiniteSteps = MaxNonFiniteSteps,
        CheckpointEvery = CheckpointEvery,
        ValidateEvery = ValidateEvery,
        Monitor = Monitor,
        MinDelta = MinDelta,
        EarlyStopPatience = EarlyStopPatience,
        RestoreBestWeights = RestoreBestWeights,
        EmaDecay = EmaDecay,
        AccumulateBatches = AccumulateBatches,
        // A run records the precision it trained in, never Auto, which decides one.
        Precision = Precision is Precision.Auto ? throw new FormatException("the precision is auto, which no run trains in") : Precision,
        MaxTime = MaxTimeSeconds is double seconds
            ? seconds is >= 0 and <= TrainingOptions.MaxTimeLimitSeconds ? TimeSpan.FromSeconds(seconds) : throw new FormatException($"a time budget of {seconds} s")
            : null,
    };
}
