using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>
/// bfloat16 mixed precision: the passes run in bfloat16 on a copy, the weights, optimizer and loss stay float32, a
/// checkpoint holds the float32 weights and a resumed run ends as the uninterrupted one, in both step modes.
/// </summary>
[Category("Unit")]
public sealed class MixedPrecisionTests
{
    private SequenceDataset _train = null!;
    private SequenceDataset _test = null!;

    [OneTimeSetUp]
    public void MakeData()
    {
        _train = LearnableTasks.BrightestRow(256, seed: 1);
        _test = LearnableTasks.BrightestRow(256, seed: 2);
    }

    [OneTimeTearDown]
    public void Release()
    {
        _train.Dispose();
        _test.Dispose();
    }

    private static TrainingOptions Options(StepExecution execution, Precision precision) => new()
    {
        Cell = CellKind.Lstm, Steps = 200, BatchSize = 32, HiddenSize = 16, Device = DeviceChoice.Cpu, StepExecution = execution,
        Precision = precision, CheckpointEvery = 25, StallWindow = 0,
        Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
    };

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void It_learns_as_float32_does_with_float32_weights_and_loss(StepExecution execution)
    {
        var accuracy = new Dictionary<Precision, double>();
        var firstLoss = new Dictionary<Precision, double>();
        foreach (var precision in new[] { Precision.Float32, Precision.Bf16Mixed })
        {
            var trainer = new Trainer(Options(execution, precision) with { CheckpointEvery = 0 })
            {
                Callbacks = [new TrainingObserver { StepCompleted = m => { if (m.Step == 1) firstLoss[precision] = m.Loss; } }],
            };
            using var model = trainer.CreateModel(_train);
            trainer.Train(model, _train);
            Assert.That(model.parameters().Select(p => p.dtype), Is.All.EqualTo(ScalarType.Float32));
            accuracy[precision] = ModelEvaluation.Evaluate(model, _test).Accuracy;
        }

        // The same weights and batch before any update: bfloat16 rounds the first loss by well under 1%.
        Assert.That(Math.Abs(firstLoss[Precision.Bf16Mixed] - firstLoss[Precision.Float32]) / firstLoss[Precision.Float32], Is.LessThan(0.01));
        Assert.That(firstLoss[Precision.Bf16Mixed], Is.Not.EqualTo(firstLoss[Precision.Float32]), "the passes did run in bfloat16");
        Assert.That(accuracy[Precision.Float32], Is.GreaterThan(0.8));
        Assert.That(accuracy[Precision.Bf16Mixed], Is.GreaterThan(0.8));
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_resumed_run_ends_with_the_uninterrupted_float32_weights(StepExecution execution)
    {
        using var folder = new TempFolder();
        var options = Options(execution, Precision.Bf16Mixed);
        var trainer = new Trainer(options);
        using var whole = trainer.CreateModel(_train);
        trainer.Train(whole, _train);

        using (var cut = trainer.CreateModel(_train))
            new Trainer(options with { Steps = 25 }) { Callbacks = [new CheckpointStore(folder.Path)] }.Train(cut, _train);
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(folder.Path)[0]);
        Assert.That(checkpoint.Info.Options.Precision, Is.EqualTo(Precision.Bf16Mixed));
        using var resumed = trainer.CreateModel(_train);
        trainer.Train(resumed, _train, resume: checkpoint);

        Assert.That(Weights(resumed), Is.EqualTo(Weights(whole)));
    }
}
