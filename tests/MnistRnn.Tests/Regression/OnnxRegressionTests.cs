using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MnistRnn.Mnist;
using MnistRnn.Tests.Support;
using static MnistRnn.Tests.Onnx.OnnxExportTests;

namespace MnistRnn.Tests.Regression;

/// <summary>The experiment's LSTM, trained by the runner and exported, gives ONNX Runtime eval's accuracy on the real test set.</summary>
[Category("Onnx")]
[Category("Regression")]
public sealed class OnnxRegressionTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [Test]
    public void An_exported_mnist_lstm_classifies_the_test_set_with_evals_accuracy()
    {
        // The experiment's LSTM (5000 steps), trained and exported as a user does, then run in ONNX Runtime on the 10,000
        // test images; the count of correct images must be eval's exactly.
        var eval = RunnerInProcess.Run("eval", "--checkpoint", ExperimentLstm.Checkpoints, "--out", _folder.File("eval"));
        Assert.That(eval.ExitCode, Is.EqualTo(0), eval.Error);
        var line = eval.Output.Split('\n').Single(l => l.StartsWith("test loss ", StringComparison.Ordinal));
        double evalAccuracy = double.Parse(line.Split("accuracy ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        string onnx = _folder.File("lstm.onnx");
        var export = RunnerInProcess.Run("export", "--checkpoint", ExperimentLstm.Checkpoints, "--out", onnx);
        Assert.That(export.ExitCode, Is.EqualTo(0), export.Error);

        using var mnist = MnistDataset.Load(RepositoryPaths.Mnist);
        using var session = new InferenceSession(onnx);
        var images = new DenseTensor<float>(mnist.Test.Images.data<float>().ToArray(), [mnist.Test.Count, 28, 28]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", images)]);
        int[] predicted = Predicted(results.Single(r => r.Name == "logits").AsEnumerable<float>().ToArray(), 10);
        long[] labels = mnist.Test.Labels.data<long>().ToArray();
        int correct = predicted.Where((p, i) => p == labels[i]).Count();

        TestContext.Out.WriteLine($"eval: {line}; ONNX Runtime: {correct} of {labels.Length} correct");
        Assert.That(correct, Is.EqualTo((int)Math.Round(evalAccuracy * labels.Length)));
        Assert.That(evalAccuracy, Is.GreaterThan(0.975), "the experiment's LSTM");
    }
}
