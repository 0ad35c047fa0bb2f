using System.Text.Json.Nodes;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;

namespace MnistRnn.Tests.Checkpoints;

/// <summary>
/// The checkpoint layout (docs/checkpoints.md): a header whose run settings have names of their own, not the public
/// record's, and one section per stateful part of the run, each tensor named SECTION/NAME.
/// </summary>
[Category("Unit")]
public sealed class CheckpointLayoutTests
{
    // Every setting a checkpoint records, away from its default.
    private static readonly TrainingOptions Recorded = new()
    {
        Cell = CellKind.Gru, Steps = 6, BatchSize = 12, LearningRate = 0.02, Schedule = LearningRateSchedule.ReduceOnPlateau(0.5, 3), HiddenSize = 6,
        Layers = 2, Bidirectional = true, Dropout = 0.25, WeightDecay = 0.01, ClipNorm = 2, ClipValue = 0.5, Seed = 9, LogCadence = LogCadence.EveryNSteps(3),
        StallWindow = 7, MaxNonFiniteSteps = 4, CheckpointEvery = 0, ValidateEvery = 3, Monitor = ValidationMetric.Accuracy, MinDelta = 0.001,
        EarlyStopPatience = 4, RestoreBestWeights = true, EmaDecay = 0.9, AccumulateBatches = 2, Precision = Precision.Bf16Mixed, MaxTime = TimeSpan.FromHours(2),
        Device = DeviceChoice.Cpu,
    };

    // The keys of the header's "run" object: the file format, which renaming a property of TrainingOptions must not change.
    private static readonly string[] RunKeys =
    [
        "model", "steps", "batch_size", "learning_rate", "schedule", "hidden_size", "layers", "bidirectional", "dropout", "weight_decay",
        "clip_norm", "clip_value", "seed", "log_cadence", "order", "stall_window", "max_non_finite_steps", "checkpoint_every", "validate_every",
        "monitor", "min_delta", "early_stop_patience", "restore_best_weights", "ema_decay", "accumulate_batches", "precision", "max_time_seconds",
    ];

    private static (Checkpoint Checkpoint, JsonNode Header) Write(TempFolder folder, TrainingOptions options)
    {
        using var train = LearnableTasks.BrightestRow(48, seed: 2);
        var trainer = new Trainer(options) { Callbacks = [new CheckpointStore(folder.Path)] };
        using (var model = trainer.CreateModel(train)) trainer.Train(model, train, validation: train);
        string path = CheckpointStore.List(folder.Path)[0];
        byte[] bytes = File.ReadAllBytes(path);
        return (CheckpointFile.Read(path), JsonNode.Parse(bytes.AsSpan(16, BitConverter.ToInt32(bytes, 12)))!);
    }

    [Test]
    public void Every_setting_but_the_machines_round_trips_under_the_documented_keys()
    {
        using var folder = new TempFolder();
        var (checkpoint, header) = Write(folder, Recorded);

        Assert.That(checkpoint.Info.Options, Is.EqualTo(Recorded with { Device = DeviceChoice.Auto }));
        Assert.That(header["run"]!.AsObject().Select(p => p.Key), Is.EqualTo(RunKeys));
        Assert.That(BitConverter.ToInt32(File.ReadAllBytes(checkpoint.Path), 8), Is.EqualTo(2), "format version");
        // A setting left at its default differs from Recorded in that setting alone, so each one is read from its own key.
        var defaults = new TrainingOptions();
        // The thread count is the machine's too: the checkpoint records the count the run computed with, not the option.
        var machine = new[] { nameof(TrainingOptions.Device), nameof(TrainingOptions.StepExecution), nameof(TrainingOptions.GradientFlowSteps), nameof(TrainingOptions.Threads) };
        var unrecorded = typeof(TrainingOptions).GetProperties().Where(p => p.CanWrite && !machine.Contains(p.Name)
            && Equals(p.GetValue(Recorded), p.GetValue(defaults)) && p.Name != nameof(TrainingOptions.Order));
        Assert.That(unrecorded.Select(p => p.Name), Is.Empty, "the test sets every recorded setting away from its default");
    }

    [Test]
    public void Each_stateful_part_of_the_run_has_its_own_section()
    {
        using var folder = new TempFolder();
        var (checkpoint, header) = Write(folder, Recorded with { Steps = 3, EarlyStopPatience = null });

        Assert.That(checkpoint.SectionNames, Is.EquivalentTo(new[]
        {
            "model", "adam", "batches", "torch", "validation", "learning_rate", "clock", "ema", "callback.StallWarning",
        }));
        var tensors = header["tensors"]!.AsArray().Select(t => (string)t!["name"]!).ToList();
        Assert.That(tensors.Select(t => t[..t.IndexOf('/')]).Distinct(),
            Is.EquivalentTo(new[] { "model", "adam", "batches", "torch", "validation", "ema", "callback.StallWarning" }));
        Assert.That(header["sections"]!["batches"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "epoch", "position" }));
        Assert.That(checkpoint.Section("validation")!.LoadValue<List<ValidationRecord>>("history"), Has.Count.EqualTo(1));
        Assert.That(checkpoint.TrainingTime, Is.GreaterThan(TimeSpan.Zero));
    }
}
