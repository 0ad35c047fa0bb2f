using System.Text.Json;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>
/// The one reader of older checkpoint layouts. Format 1 kept the batch position, the optimizer's update count and the
/// validations as fixed header fields, the best weights as tensors <c>best/NAME</c>, and the settings either as the
/// <see cref="TrainingOptions"/> record (whose snake_case names <see cref="RunSettings"/> keeps) or, before validation
/// existed, field by field; this turns such a header into the sections the current layout has, so that everything else
/// reads one layout. Its tensors keep their bytes and order.
/// </summary>
internal static class LegacyCheckpointLayout
{
    public const int Version = 1;

    /// <summary>The format-1 header in <paramref name="json"/> as a current one.</summary>
    /// <exception cref="JsonException">It is not a format-1 header.</exception>
    /// <exception cref="CheckpointException">It names an unknown cell or order.</exception>
    public static CheckpointFile.CheckpointHeader ReadHeader(ReadOnlySpan<byte> json, string path)
    {
        var old = JsonSerializer.Deserialize<Header>(json, CheckpointFile.Json) ?? throw new JsonException("empty header");
        if (old.Tensors is null || old.Tensors.Any(t => t?.Name is null)) throw new JsonException("a tensor has no name");
        var run = old.Run ?? (old.Options is { } fields ? RunSettings.From(fields.ToTrainingOptions(path)) : null);
        var sections = new Dictionary<string, Dictionary<string, JsonElement>>
        {
            [ModelWeights.Name] = [],
            [AdamOptimizer.SectionName] = Values(("steps", old.AdamSteps)),
            [ShuffledBatches.SectionName] = Values(("epoch", old.Epoch), ("position", old.Position)),
            [GlobalGenerator.Name] = [],
            // A scheduler of such a run was stepped once per step, and a plateau one with every validation.
            [LearningRateControl.SectionName] = Values(("steps", old.Step),
                ("plateau_losses", (old.Validations ?? []).Select(v => new { v?.Step, v?.Loss }).ToList())),
        };
        bool bestWeights = old.Tensors.Any(t => t.Name.StartsWith("best/", StringComparison.Ordinal));
        if (old.Validations is not null || bestWeights) sections[ValidationTracker.SectionName] = Values(("history", old.Validations ?? []));
        // The other tensors' names (model/, adam/, batches/, torch/) were already SECTION/NAME.
        foreach (var tensor in old.Tensors.Where(t => t.Name.StartsWith("best/", StringComparison.Ordinal)))
            tensor.Name = $"{ValidationTracker.SectionName}/{tensor.Name}";
        old.Run = run;
        old.Sections = sections;
        return old;
    }

    private static Dictionary<string, JsonElement> Values(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => JsonSerializer.SerializeToElement(v.Value, CheckpointFile.Json));

    // Layout 1's header: the current one's fields, less the sections, plus the fixed fields that became sections.
    private sealed class Header : CheckpointFile.CheckpointHeader
    {
        public int Epoch { get; set; }
        public int Position { get; set; }
        public long AdamSteps { get; set; }
        public FieldByFieldOptions? Options { get; set; }
        public List<ValidationRecord>? Validations { get; set; }
    }

    // The settings as checkpoints recorded them before validation existed.
    private sealed class FieldByFieldOptions
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
            if (!StateSection.IsPlainName(Model) || !StateSection.IsPlainName(Order))
                throw new CheckpointException($"{path}: the checkpoint's header is not valid (it names no cell or order, or one with control characters or over 64 characters).");
            if (!CellKindNames.TryParse(Model, out var model) || !SequenceOrderNames.TryParse(Order, out var order))
                throw new CheckpointException($"{path}: the checkpoint names an unknown cell '{Model}' or order '{Order}'.");
            return new TrainingOptions
            {
                Cell = model,
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
}
