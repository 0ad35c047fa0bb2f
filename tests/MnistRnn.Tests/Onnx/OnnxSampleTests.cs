using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Onnx;

/// <summary>
/// <c>samples/MnistRnn.OnnxInference</c>, the deployment a .NET user copies: a program with ONNX Runtime and nothing of
/// TorchSharp, run as a user runs it on an exported model and the MNIST test set.
/// </summary>
[Category("RunnerProcess")]
[Category("Onnx")]
public sealed class OnnxSampleTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    // Built beside the tests, in the same configuration.
    private static string SampleFolder =>
        Path.Combine(RepositoryPaths.Root, "samples", "MnistRnn.OnnxInference", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0");

    internal static DotnetProcess.Result Sample(params string[] args) =>
        DotnetProcess.Run(SampleFolder, TimeSpan.FromMinutes(5), [Path.Combine(SampleFolder, "mnist-rnn-onnx.dll"), .. args]);

    [Test]
    public void The_sample_classifies_the_test_set_as_onnx_runtime_does_here_and_carries_no_torchsharp()
    {
        using var mnist = MnistDataset.Load(RepositoryPaths.Mnist);
        var trainer = new Trainer(new TrainingOptions { Steps = 100, HiddenSize = 32, StallWindow = 0 });
        using var model = trainer.CreateModel(CPU, mnist);
        trainer.Train(model, mnist.Train);
        string path = _folder.File("digits.onnx");
        using (var classifier = TrainedClassifier.From(model, SequenceOrder.Rows, 28, 28)) classifier.ExportOnnx(path);

        var run = Sample(path, "--data", RepositoryPaths.Mnist);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Error);
        using var session = new InferenceSession(path);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(mnist.Test.Images.data<float>().ToArray(), [10000, 28, 28]))]);
        var logits = results.Single(r => r.Name == "logits").AsTensor<float>();
        long[] labels = mnist.Test.Labels.data<long>().ToArray();
        int correct = Enumerable.Range(0, 10000).Count(i => Enumerable.Range(0, 10).MaxBy(c => logits[i, c]) == labels[i]);
        Assert.That(run.Output, Does.Contain($"({correct} of 10000 images)"));
        Assert.That(run.Output, Does.Match(@"latency [0-9.]+ ms per image .* throughput [0-9]+ images/s"));
        Assert.That(Directory.GetFiles(SampleFolder, "*", SearchOption.AllDirectories).Select(Path.GetFileName),
            Has.None.Contains("TorchSharp").And.None.Contains("torch").And.None.Contains("MnistRnn.dll"));
    }

    [Test]
    public void The_sample_refuses_what_it_cannot_classify_in_one_sentence()
    {
        string notOnnx = _folder.File("notes.onnx");
        File.WriteAllText(notOnnx, "not a model");

        UserErrorAssert.OneSentence(Sample(_folder.File("missing.onnx")), 2, "does not exist; export one with mnist-rnn export --out model.onnx.");
        UserErrorAssert.OneSentence(Sample(notOnnx, "--data", _folder.Path), 2, "holds no t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte");
        UserErrorAssert.OneSentence(Sample(notOnnx, "--data", RepositoryPaths.Mnist), 3, "is not an ONNX model ONNX Runtime can run");
        UserErrorAssert.OneSentence(Sample(notOnnx, "--ink", "sideways", "idx:0"), 2, "--ink: unknown value 'sideways'");
        UserErrorAssert.OneSentence(Sample(notOnnx, "--colour"), 2, "usage: mnist-rnn-onnx MODEL.onnx");
    }

    [Test]
    public void The_sample_prints_what_predict_prints_for_test_images_and_pictures()
    {
        // A briefly trained MNIST LSTM, through the runner as a user has it: checkpoint, then export.
        var train = RunnerInProcess.Run("train", "--steps", "150", "--hidden", "32", "--out", _folder.File("run"));
        Assert.That(train.ExitCode, Is.EqualTo(0), train.Error);
        string onnx = _folder.File("digits.onnx");
        Assert.That(RunnerInProcess.Run("export", "--checkpoint", _folder.File("run"), "--out", onnx).ExitCode, Is.EqualTo(0));
        string[] pictures = [Picture(_folder.File("one.png"), 120, dark: true), Picture(_folder.File("wide.png"), 300, dark: false),
            Picture(_folder.File("tiny.png"), 12, dark: true)];
        string[] inputs = ["idx:0", "idx:7", "idx:1234", .. pictures];

        var predict = RunnerInProcess.Run(["predict", "--checkpoint", _folder.File("run"), "--data", RepositoryPaths.Mnist, .. inputs]);
        var sample = Sample([onnx, "--data", RepositoryPaths.Mnist, .. inputs]);

        Assert.That(predict.ExitCode, Is.EqualTo(0), predict.Error);
        Assert.That(sample.ExitCode, Is.EqualTo(0), sample.Error);
        TestContext.Out.WriteLine(sample.Output);
        Assert.That(sample.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(inputs.Length));
        Assert.That(sample.Output, Is.EqualTo(predict.Output), "the same classes and probabilities, line for line");
    }

    // A digit-like stroke: dark on white paper, or light on black; large, wide or smaller than the 20-pixel box.
    internal static string Picture(string path, int size, bool dark)
    {
        using var surface = SKSurface.Create(new SKImageInfo(size, size * 2 / 3 + 4));
        surface.Canvas.Clear(dark ? SKColors.White : SKColors.Black);
        using var pen = new SKPaint { Color = dark ? SKColors.Black : SKColors.White, StrokeWidth = Math.Max(2, size / 10f), Style = SKPaintStyle.Stroke, IsAntialias = true };
        surface.Canvas.DrawCircle(size / 2f, size / 3f + 2, size / 5f, pen);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }
}
