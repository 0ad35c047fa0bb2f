using System.Reflection;
using MnistRnn.Checkpoints;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Checkpoints;

/// <summary>The settings marked [RunDefining] are the ones a checkpoint records and a resume compares: every one of them.</summary>
[Category("Unit")]
public sealed class RunDefinitionTests
{
    private static readonly PropertyInfo[] RunDefining = typeof(TrainingOptions).GetProperties()
        .Where(p => p.IsDefined(typeof(RunDefiningAttribute))).ToArray();

    // Every run-defining setting away from its default; a new one fails the first test until it is set here too.
    private static readonly TrainingOptions Unusual = new()
    {
        Cell = CellKind.Gru, BatchSize = 12, LearningRate = 0.02, Schedule = LearningRateSchedule.ReduceOnPlateau(0.5, 3), HiddenSize = 6, Layers = 2,
        Bidirectional = true, Dropout = 0.25, WeightDecay = 0.01, ClipNorm = 2, ClipValue = 0.5, Seed = 9, Order = MnistRnn.Data.SequenceOrder.Rows,
        ValidateEvery = 3, Monitor = ValidationMetric.Accuracy, MinDelta = 0.001, EarlyStopPatience = 4, RestoreBestWeights = true, EmaDecay = 0.9,
        AccumulateBatches = 2, Precision = Precision.Bf16Mixed, Steps = 6, CheckpointEvery = 0, Device = DeviceChoice.Cpu,
    };

    [Test]
    public void The_test_sets_every_run_defining_setting_away_from_its_default()
    {
        var defaults = new TrainingOptions();
        // Rows is the only order a sequence dataset trains in, so it cannot differ here; its round trip is covered by the MNIST checkpoints.
        var unchanged = RunDefining.Where(p => p.Name != nameof(TrainingOptions.Order) && Equals(p.GetValue(Unusual), p.GetValue(defaults))).Select(p => p.Name);

        Assert.That(unchanged, Is.Empty);
    }

    [Test]
    public void A_checkpoint_records_every_run_defining_setting_and_a_resume_compares_each()
    {
        using var folder = new TempFolder();
        using var train = LearnableTasks.BrightestRow(48, seed: 2);
        var trainer = new Trainer(Unusual) { Callbacks = [new CheckpointStore(folder.Path)] };
        using (var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4)) trainer.Train(model, train, validation: train);
        var info = CheckpointFile.Read(CheckpointStore.List(folder.Path)[0]).Info;

        foreach (var property in RunDefining)
        {
            Assert.That(property.GetValue(info.Options), Is.EqualTo(property.GetValue(Unusual)), property.Name);
            if (Changed(info.Options, property) is not { } other) continue;
            Assert.That(CheckpointResume.Contradiction(other, info)?.Property, Is.EqualTo(property.Name));
        }
    }

    // The options with one setting set back to its default (so they differ from the checkpoint's in that setting alone).
    private static TrainingOptions? Changed(TrainingOptions options, PropertyInfo property)
    {
        object? fallback = property.GetValue(new TrainingOptions());
        if (Equals(fallback, property.GetValue(options))) return null;
        var copy = options with { };
        property.SetValue(copy, fallback);
        return copy;
    }
}
