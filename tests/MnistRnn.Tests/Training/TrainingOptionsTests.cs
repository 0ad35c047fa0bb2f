using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Tests.Training;

[Category("Unit")]
public sealed class TrainingOptionsTests
{
    [Test]
    public void Defaults_are_the_experiments_settings()
    {
        var options = new TrainingOptions();

        Assert.That(options.Cell, Is.EqualTo(CellKind.Lstm));
        Assert.That(options.Steps, Is.EqualTo(5000));
        Assert.That(options.BatchSize, Is.EqualTo(100));
        Assert.That(options.LearningRate, Is.EqualTo(0.01));
        Assert.That(options.HiddenSize, Is.EqualTo(128));
        Assert.That(options.LogCadence, Is.EqualTo(LogCadence.Experiment));
        Assert.That(options.Problems(), Is.Empty);
    }

    private static IEnumerable<TestCaseData> InvalidOptions()
    {
        yield return new TestCaseData(new TrainingOptions { LearningRate = -0.01 }, nameof(TrainingOptions.LearningRate));
        yield return new TestCaseData(new TrainingOptions { LearningRate = double.NaN }, nameof(TrainingOptions.LearningRate));
        yield return new TestCaseData(new TrainingOptions { LearningRate = 11 }, nameof(TrainingOptions.LearningRate));
        yield return new TestCaseData(new TrainingOptions { MaxNonFiniteSteps = 0 }, nameof(TrainingOptions.MaxNonFiniteSteps));
        yield return new TestCaseData(new TrainingOptions { CheckpointEvery = -5 }, nameof(TrainingOptions.CheckpointEvery));
        yield return new TestCaseData(new TrainingOptions { BatchSize = 0 }, nameof(TrainingOptions.BatchSize));
        yield return new TestCaseData(new TrainingOptions { Steps = 0 }, nameof(TrainingOptions.Steps));
        yield return new TestCaseData(new TrainingOptions { HiddenSize = -1 }, nameof(TrainingOptions.HiddenSize));
        yield return new TestCaseData(new TrainingOptions { ClipNorm = -1 }, nameof(TrainingOptions.ClipNorm));
        yield return new TestCaseData(new TrainingOptions { ClipValue = double.PositiveInfinity }, nameof(TrainingOptions.ClipValue));
        yield return new TestCaseData(new TrainingOptions { Seed = -3 }, nameof(TrainingOptions.Seed));
        yield return new TestCaseData(new TrainingOptions { Cell = (CellKind)42 }, nameof(TrainingOptions.Cell));
        yield return new TestCaseData(new TrainingOptions { LogCadence = LogCadence.EveryNSteps(0) }, nameof(TrainingOptions.LogCadence));
        yield return new TestCaseData(new TrainingOptions { Order = (MnistRnn.Data.SequenceOrder)9 }, nameof(TrainingOptions.Order));
        yield return new TestCaseData(new TrainingOptions { StallWindow = -1 }, nameof(TrainingOptions.StallWindow));
        yield return new TestCaseData(new TrainingOptions { Steps = 10, GradientFlowSteps = [0, 11] }, nameof(TrainingOptions.GradientFlowSteps));
        // Null where a record's initializer allows it: a problem, not a NullReferenceException from the trainer's constructor.
        yield return new TestCaseData(new TrainingOptions { LogCadence = null! }, nameof(TrainingOptions.LogCadence));
        yield return new TestCaseData(new TrainingOptions { Schedule = null! }, nameof(TrainingOptions.Schedule));
        yield return new TestCaseData(new TrainingOptions { GradientFlowSteps = null! }, nameof(TrainingOptions.GradientFlowSteps));
    }

    [TestCaseSource(nameof(InvalidOptions))]
    public void Each_invalid_value_is_reported_against_its_property(TrainingOptions options, string property)
    {
        Assert.That(options.Problems().Select(p => p.Property), Is.EqualTo(new[] { property }));
        var error = Assert.Throws<ArgumentException>(options.EnsureValid)!;
        Assert.That(error.ParamName, Is.EqualTo(property));
    }

    [Test]
    public void Every_setting_is_declared_once_with_a_flag_help_and_file_key_that_are_its_own()
    {
        var settings = TrainingSetting.All;

        Assert.That(settings.Select(s => s.Flag).OfType<string>(), Is.Unique, "flags");
        Assert.That(settings.Select(s => s.FileKey).OfType<string>(), Is.Unique, "checkpoint keys");
        Assert.That(settings.Where(s => s.ZeroMeansNull).Select(s => s.Type), Is.All.EqualTo(typeof(double?)), "0 stands for null only where null is a value");
        // Every property but the per-call probes is a declared setting; the probes are a library caller's, never a file's.
        Assert.That(typeof(TrainingOptions).GetProperties().Where(p => p.CanWrite && !p.IsDefined(typeof(ObsoleteAttribute), false))
                .Select(p => p.Name).Except(settings.Select(s => s.Property)),
            Is.EqualTo(new[] { nameof(TrainingOptions.GradientFlowSteps) }));
        var ema = TrainingSetting.Of(nameof(TrainingOptions.EmaDecay))!;
        Assert.That((ema.Flag, ema.FileKey, ema.Default, ema.DefinesRun), Is.EqualTo(("ema", "ema_decay", (object?)null, true)));
        Assert.That(ema.With(new TrainingOptions(), 0.9), Is.EqualTo(new TrainingOptions { EmaDecay = 0.9 }));
    }

    [Test]
    public void A_program_written_against_0_1_still_compiles_and_means_the_same()
    {
#pragma warning disable CS0618 // The renamed members under test.
        var options = new TrainingOptions { Model = CellKind.Gru };
        Assert.That((options.Cell, options.Model), Is.EqualTo((CellKind.Gru, CellKind.Gru)));
        using var model = new RecurrentClassifier(CellKind.Irnn, 4, 8, 2);
        Assert.That(model.Kind, Is.EqualTo(CellKind.Irnn));
#pragma warning restore CS0618
        Assert.That(options, Is.EqualTo(new TrainingOptions { Cell = CellKind.Gru }), "the forwarder adds no state");
    }

    [Test]
    public void A_trainer_refuses_invalid_options() =>
        Assert.Throws<ArgumentException>(() => new Trainer(new TrainingOptions { BatchSize = -5 }));
}
