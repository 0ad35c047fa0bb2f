using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>
/// The training options as checkpoints recorded them before validation existed, field by field; read only, so that those
/// checkpoints still resume (newer ones record <see cref="TrainingOptions"/> whole, see <see cref="TrainingOptionsJson"/>).
/// </summary>
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

    /// <summary>The options these fields describe; the caller checks them with <see cref="TrainingOptions.Problems"/>.</summary>
    /// <exception cref="CheckpointException">They name an unknown cell or order.</exception>
    public TrainingOptions ToTrainingOptions(string path)
    {
        if (!CellKindNames.TryParse(Model, out var model) || !SequenceOrderNames.TryParse(Order, out var order))
            throw new CheckpointException($"{path}: the checkpoint names an unknown cell '{Model}' or order '{Order}'.");
        return new TrainingOptions
        {
            Model = model,
            Steps = Steps,
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            Schedule = CosineWarmupSteps is int warmup && warmup >= 0 && CosineFinalFraction is >= 0 and <= 1
                ? LearningRateSchedule.Cosine(warmup, CosineFinalFraction) : LearningRateSchedule.Constant,
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
        };
    }
}
