using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Regression;

/// <summary>
/// The experiment this project reproduces, on the vendored MNIST with fixed seeds: 5000 steps of
/// batch 100, Adam at 0.01, hidden 128. Each run takes under a minute on two CPU cores.
/// </summary>
[Category("Regression")]
[NonParallelizable]
public sealed class MnistRegressionTests
{
    private MnistDataset _mnist = null!;

    [OneTimeSetUp]
    public void LoadMnist()
    {
        // As the runner does: without it, glibc maps and unmaps every large activation each step.
        MnistRnn.Performance.NativeMemory.KeepFreedMemoryInProcess();
        _mnist = MnistDataset.Load(RepositoryPaths.Mnist);
    }

    [OneTimeTearDown]
    public void Release() => _mnist.Dispose();

    private EvaluationResult TrainAndEvaluate(TrainingOptions options)
    {
        var trainer = new Trainer(options with { Device = DeviceChoice.Cpu });
        using var model = trainer.CreateModel(CPU);
        var training = trainer.Train(model, _mnist.Train);
        var result = ModelEvaluation.Evaluate(model, _mnist.Test);
        TestContext.Out.WriteLine(
            $"{options.Model.ToName()} batch {options.BatchSize} steps {options.Steps} lr {options.LearningRate} {options.Schedule} clip {options.ClipNorm?.ToString() ?? "off"}: test loss {result.Loss:F5}, accuracy {result.Accuracy:F5}, " +
            $"{training.TrainSeconds:F1} s, {training.SamplesPerSecond:F0} samples/s");
        return result;
    }

    [Test]
    public void Lstm_reaches_the_experiments_accuracy()
    {
        // The original experiment's LSTM ended at 0.9839. With the default clipping (norm 5.0, which
        // this run never reaches) this project measured 0.9845 on 2 CPU threads; unclipped seeds 2 and 3
        // gave 0.9823 and 0.9838.
        var result = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Lstm });

        Assert.That(result.Count, Is.EqualTo(10_000));
        Assert.That(result.Accuracy, Is.GreaterThanOrEqualTo(0.98));
    }

    [Test]
    public void Gru_reaches_the_lstms_accuracy_at_half_the_learning_rate()
    {
        // At the experiment's lr 0.01 the GRU's gradients explode mid-run (norms near 100) and it ends
        // at 0.81, 0.65 and 0.83 (seeds 1-3, clipping at 1.0; 0.95 unclipped, seed 1). At lr 0.005 it
        // measured 0.9837 (seed 1, default clipping; 0.9832 with norm 1.0).
        var result = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Gru, LearningRate = 0.005 });

        Assert.That(result.Accuracy, Is.GreaterThanOrEqualTo(0.98));
    }

    [Test]
    public void Tanh_rnn_without_clipping_collapses_to_chance()
    {
        // The original experiment's tanh RNN ended at 0.1032: its hidden state saturated and its
        // gradients vanished. Measured here (seed 1, no clipping): 0.0980, against 0.98 and more for
        // the gated cells, so a gap of at least 0.78 is asserted.
        var result = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Rnn, ClipNorm = null });

        Assert.That(result.Accuracy, Is.LessThan(0.2));
    }

    [Test]
    public void Tight_clipping_lets_the_tanh_rnn_learn()
    {
        // The fix for exploding gradients, measured for the tanh RNN (seed 1): 0.4204 with norm 1.0,
        // against 0.0980 unclipped and 0.1945 with the default norm 5.0.
        var result = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Rnn, ClipNorm = 1.0 });

        Assert.That(result.Accuracy, Is.GreaterThan(0.3));
    }

    [Test]
    public void A_lower_learning_rate_rescues_the_tanh_rnn_and_the_irnn_does_better_still()
    {
        // At lr 0.001 (default clipping) the tanh RNN no longer saturates: measured 0.9623 (0.9480 at
        // 0.0005). The IRNN at the same settings measured 0.9757, a margin of 0.0134; at lr 0.01 it
        // measured 0.9072 and at 0.0001 0.9321. Both runs repeat bit for bit on this machine.
        var rnn = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Rnn, LearningRate = 0.001 });
        var irnn = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Irnn, LearningRate = 0.001 });

        Assert.That(rnn.Accuracy, Is.GreaterThan(0.95));
        Assert.That(irnn.Accuracy, Is.GreaterThanOrEqualTo(0.97));
        Assert.That(irnn.Accuracy - rnn.Accuracy, Is.GreaterThanOrEqualTo(0.01));
    }

    [Test]
    public void The_fast_recipe_reaches_the_experiments_accuracy()
    {
        // Measured 0.9856 (10.7 s of training on 2 cores; the time is the benchmark's to report, not a test's).
        var result = TrainAndEvaluate(TrainingRecipes.Fast);

        Assert.That(result.Accuracy, Is.GreaterThanOrEqualTo(0.984));
    }
}
