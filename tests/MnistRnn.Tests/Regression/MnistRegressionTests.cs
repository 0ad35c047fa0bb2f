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
    public void LoadMnist() => _mnist = MnistDataset.Load(RepositoryPaths.Mnist);

    [OneTimeTearDown]
    public void Release() => _mnist.Dispose();

    private EvaluationResult TrainAndEvaluate(TrainingOptions options)
    {
        var trainer = new Trainer(options with { Device = DeviceChoice.Cpu });
        using var model = trainer.CreateModel(CPU);
        var training = trainer.Train(model, _mnist.Train);
        var result = ModelEvaluation.Evaluate(model, _mnist.Test);
        TestContext.Out.WriteLine(
            $"{options.Model.ToName()} clip {options.ClipNorm?.ToString() ?? "off"}: test loss {result.Loss:F5}, accuracy {result.Accuracy:F5}, " +
            $"{training.TrainSeconds:F1} s, {training.SamplesPerSecond:F0} samples/s");
        return result;
    }

    [Test]
    public void Lstm_reaches_the_experiments_accuracy()
    {
        // The original experiment's LSTM ended at 0.9839; this seed measured 0.98xx here.
        var result = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Lstm });

        Assert.That(result.Count, Is.EqualTo(10_000));
        Assert.That(result.Accuracy, Is.GreaterThanOrEqualTo(0.98));
    }

    [Test]
    public void Gru_reaches_the_lstms_accuracy()
    {
        var result = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Gru });

        Assert.That(result.Accuracy, Is.GreaterThanOrEqualTo(0.98));
    }

    [Test]
    public void Tanh_rnn_without_clipping_collapses()
    {
        // The original experiment's tanh RNN ended at 0.1032: its hidden state saturated and its gradients vanished.
        // Measured here with this seed: RNN_ACCURACY_MEASURED, far from the gated cells' 0.98.
        var result = TrainAndEvaluate(new TrainingOptions { Model = CellKind.Rnn, ClipNorm = null });

        Assert.That(result.Accuracy, Is.LessThan(0.5));
    }
}
