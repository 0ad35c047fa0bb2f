using System.Text.Json;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Interop;

/// <summary>
/// A model trained here and exported by <c>mnist-rnn export</c> loads in real PyTorch (Debian's python3-torch) and
/// gives the same logits on the 10,000 MNIST test images; a model trained in PyTorch imports here with the same
/// logits. Inconclusive where no Python with torch is installed.
/// </summary>
[Category("Python")]
[Parallelizable(ParallelScope.Self)]
[TakesTurnsInThisProcess]
public sealed class PyTorchExportTests
{
    private const string Python = "/usr/bin/python3";

    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static void RequireTorch()
    {
        if (!File.Exists(Python) || ChildProcess.Run(Python, "-c", "import torch").ExitCode != 0)
            Assert.Inconclusive($"{Python} cannot import torch; install Debian's python3-torch (.ci/run does where apt can).");
    }

    [Test]
    public void An_exported_model_gives_pytorch_the_same_logits_and_accuracy(
        [Values(".safetensors", ".pt")] string format, [Values(false, true)] bool stackedBidirectional)
    {
        RequireTorch();
        string checkpoint = TrainBriefly(stackedBidirectional);
        string exported = _folder.File("model" + format);
        var export = RunnerInProcess.Run("export", "--checkpoint", checkpoint, "--out", exported);
        Assert.That(export.ExitCode, Is.EqualTo(0), export.Output + export.Error);

        using var classifier = TrainedClassifier.Load(checkpoint);
        string logits = _folder.File("logits.f32");
        WriteTestLogits(classifier, logits);
        var options = classifier.Model.Options;
        var check = ChildProcess.Run(Python, Script("check_export.py"), exported,
            options.Cell.ToName(), $"{options.InputSize}", $"{options.HiddenSize}", $"{options.Layers}", options.Bidirectional ? "true" : "false",
            $"{options.Classes}", TestImages, TestLabels, logits);
        Assert.That(check.ExitCode, Is.EqualTo(0), check.Output + check.Error);
        TestContext.Out.WriteLine(check.Output);

        using var result = JsonDocument.Parse(check.Output);
        var root = result.RootElement;
        Assert.That(root.GetProperty("max_abs_diff").GetDouble(), Is.LessThan(1e-4));
        Assert.That(root.GetProperty("python_accuracy").GetDouble(), Is.EqualTo(root.GetProperty("csharp_accuracy").GetDouble()));
        Assert.That(root.GetProperty("csharp_accuracy").GetDouble(), Is.GreaterThan(0.2), "the model learned something, so equal accuracies mean something");
        if (format == ".safetensors")
            Assert.That(root.GetProperty("metadata").GetProperty("sequence_order").GetString(), Is.EqualTo("rows"));
    }

    [Test]
    public void A_model_trained_in_pytorch_imports_with_the_same_logits(
        [Values(".pt", ".safetensors")] string format, [Values(false, true)] bool stackedBidirectional)
    {
        RequireTorch();
        var architecture = new RecurrentClassifierOptions(stackedBidirectional ? CellKind.Gru : CellKind.Lstm, 28, 16, 10)
        {
            Layers = stackedBidirectional ? 2 : 1, Bidirectional = stackedBidirectional,
        };
        string prefix = _folder.File("from-pytorch");
        var train = ChildProcess.Run(Python, Script("train_in_pytorch.py"), prefix, architecture.Cell.ToName(), "28", "16", $"{architecture.Layers}",
            architecture.Bidirectional ? "true" : "false", "10", TestImages, TestLabels);
        Assert.That(train.ExitCode, Is.EqualTo(0), train.Output + train.Error);

        using var model = ModelFile.LoadStateDict(prefix + format, architecture);
        using var mnist = MnistDataset.Load(RepositoryPaths.Mnist, CPU);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ours = model.forward(mnist.Test.Images.narrow(0, 0, 1000));
        var theirs = tensor(File.ReadAllBytes(prefix + ".logits").Chunk(4).Select(b => BitConverter.ToSingle(b)).ToArray(), [1000, 10]);

        double difference = (ours - theirs).abs().max().item<float>();
        TestContext.Out.WriteLine($"max |logit difference| {difference}");
        Assert.That(difference, Is.LessThan(1e-4));
        Assert.That(ours.argmax(1).eq(theirs.argmax(1)).all().item<bool>(), Is.True);
    }

    [Test]
    public void A_state_dict_of_another_architecture_names_its_first_mis_shaped_weight()
    {
        RequireTorch();
        string prefix = _folder.File("from-pytorch");
        var train = ChildProcess.Run(Python, Script("train_in_pytorch.py"), prefix, "lstm", "28", "16", "1", "false", "10", TestImages, TestLabels);
        Assert.That(train.ExitCode, Is.EqualTo(0), train.Output + train.Error);

        var error = Assert.Throws<InvalidDataException>(() => ModelFile.LoadStateDict(prefix + ".pt", new RecurrentClassifierOptions(CellKind.Gru, 28, 16, 10)))!;
        Assert.That(error.Message, Is.EqualTo(
            $"{prefix}.pt: weight recurrent.weight_ih_l0 has shape (64, 28) where a gru, hidden 16, 28 input features, 10 classes model needs (48, 28)."));
    }

    private static string Script(string name) => Path.Combine(RepositoryPaths.Root, "tests", "MnistRnn.Tests", "Interop", name);

    private static string TestImages => Path.Combine(RepositoryPaths.Mnist, "t10k-images-idx3-ubyte.gz");

    private static string TestLabels => Path.Combine(RepositoryPaths.Mnist, "t10k-labels-idx1-ubyte.gz");

    [Test]
    public void Export_refuses_another_format_and_an_existing_file()
    {
        string existing = _folder.File("taken.pt");
        File.WriteAllText(existing, "keep me");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("export", "--checkpoint", _folder.Path, "--out", _folder.File("model.h5")), 2,
            $"--out: {_folder.File("model.h5")} must end in .safetensors or .pt (for PyTorch) or .onnx (for ONNX Runtime).");
        UserErrorAssert.OneSentence(RunnerInProcess.Run("export", "--checkpoint", _folder.Path, "--out", existing), 2,
            $"--out: {existing} already exists; give a new file name, so nothing is overwritten.");
        Assert.That(File.ReadAllText(existing), Is.EqualTo("keep me"));
    }

    // 40 steps on real MNIST read by rows: a one-layer LSTM as the experiment's, or a two-layer bidirectional GRU.
    private string TrainBriefly(bool stackedBidirectional)
    {
        var options = new TrainingOptions
        {
            Cell = stackedBidirectional ? CellKind.Gru : CellKind.Lstm, HiddenSize = 16, Steps = 40, StallWindow = 0, Device = DeviceChoice.Cpu,
            Layers = stackedBidirectional ? 2 : 1, Bidirectional = stackedBidirectional,
        };
        using var mnist = MnistDataset.Load(RepositoryPaths.Mnist, CPU);
        var trainer = new Trainer(options) { Callbacks = [new CheckpointStore(_folder.File("checkpoints"))] };
        using var model = trainer.CreateModel(CPU, mnist);
        return trainer.Train(model, mnist.Train).LastCheckpoint!;
    }

    private static void WriteTestLogits(TrainedClassifier classifier, string path)
    {
        using var mnist = MnistDataset.Load(RepositoryPaths.Mnist, CPU);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var test = mnist.Test.ToSequences(classifier.Order, mnist.Classes);
        var logits = classifier.Model.forward(test.Sequences).contiguous();
        File.WriteAllBytes(path, logits.bytes.ToArray());
    }
}
