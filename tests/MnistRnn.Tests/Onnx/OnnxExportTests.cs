using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Onnx;

/// <summary>
/// Exported models run in ONNX Runtime, in-process, with no libtorch in the way: every cell, one and two layers, one
/// and both directions, fixed and variable lengths give the TorchSharp model's logits and classes.
/// </summary>
[Category("RunnerInProcess")]
[Category("Onnx")]
public sealed class OnnxExportTests
{
    private const int Steps = 12, Features = 3, Classes = 4;

    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    // Random sequences of 3 to 12 steps (or all 12), labelled by the sign of the first step's features: something to train on briefly.
    internal static SequenceDataset Sequences(int count, bool variableLength, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var values = randn([count, Steps, Features], generator: generator);
        var labels = values.select(1, 0).narrow(1, 0, 2).gt(0).to(ScalarType.Int64).matmul(tensor(new long[] { 1, 2 }));
        var lengths = variableLength ? randint(3, Steps + 1, [count], ScalarType.Int64, generator: generator) : null;
        var data = new SequenceDataset(values.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), Classes, lengths?.MoveToOuterDisposeScope());
        return data;
    }

    internal static RecurrentClassifier TrainedBriefly(CellKind cell, int layers, bool bidirectional, SequenceDataset data)
    {
        var trainer = new Trainer(new TrainingOptions
        {
            Cell = cell, Steps = 30, BatchSize = 50, HiddenSize = 16, Layers = layers, Bidirectional = bidirectional,
            Dropout = layers > 1 ? 0.1 : 0, StallWindow = 0,
            Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
        });
        var model = trainer.CreateModel(data);
        trainer.Train(model, data);
        model.eval();
        return model;
    }

    private static float[] TorchLogits(RecurrentClassifier model, SequenceDataset data)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.forward(data.Sequences, data.Lengths).contiguous().data<float>().ToArray();
    }

    private static (float[] Logits, float[] Probabilities) OnnxOutputs(string path, SequenceDataset data)
    {
        using var session = new InferenceSession(path);
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(data.Sequences.contiguous().data<float>().ToArray(), [data.Count, data.Steps, data.Features])),
        };
        if (data.Lengths is { } lengths)
            inputs.Add(NamedOnnxValue.CreateFromTensor("lengths", new DenseTensor<long>(lengths.data<long>().ToArray(), [data.Count])));
        using var results = session.Run(inputs);
        return (results.Single(r => r.Name == "logits").AsEnumerable<float>().ToArray(),
            results.Single(r => r.Name == "probabilities").AsEnumerable<float>().ToArray());
    }

    internal static int[] Predicted(float[] logits, int classes) =>
        Enumerable.Range(0, logits.Length / classes).Select(i => Array.IndexOf(logits, logits.Skip(i * classes).Take(classes).Max(), i * classes) - i * classes).ToArray();

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    [Test]
    public void The_onnx_model_gives_the_torchsharp_models_logits_and_classes(
        [Values] CellKind cell, [Values(1, 2)] int layers, [Values(false, true)] bool bidirectional, [Values(false, true)] bool variableLength)
    {
        using var train = Sequences(300, variableLength, seed: 1);
        using var model = TrainedBriefly(cell, layers, bidirectional, train);
        string path = _folder.File("model.onnx");
        ModelFile.ExportOnnx(model, path, variableLength);

        using var test = Sequences(300, variableLength, seed: 2);
        float[] expected = TorchLogits(model, test);
        var (logits, probabilities) = OnnxOutputs(path, test);

        Assert.That(logits, Has.Length.EqualTo(expected.Length));
        Assert.That(MaxDifference(logits, expected), Is.LessThan(1e-4));
        Assert.That(Predicted(logits, Classes), Is.EqualTo(Predicted(expected, Classes)));
        using var softmax = tensor(expected, [test.Count, Classes]).softmax(1);
        Assert.That(MaxDifference(probabilities, softmax.data<float>().ToArray()), Is.LessThan(1e-5));
    }

    [Test]
    public void A_model_moved_to_float64_and_back_exports_the_weights_it_holds_now()
    {
        // A move replaces the module's tensors; the export must read the ones the model holds after it.
        using var train = Sequences(100, variableLength: true, seed: 5);
        using var model = TrainedBriefly(CellKind.Lstm, 2, true, train);
        model.to(ScalarType.Float64);
        model.to(ScalarType.Float32);
        string path = _folder.File("moved.onnx");
        ModelFile.ExportOnnx(model, path, variableLength: true);

        Assert.That(MaxDifference(OnnxOutputs(path, train).Logits, TorchLogits(model, train)), Is.LessThan(1e-4));
    }

    [Test]
    public void Batch_size_and_sequence_length_are_free_and_the_architecture_is_in_the_metadata()
    {
        using var train = Sequences(100, variableLength: false, seed: 3);
        using var model = TrainedBriefly(CellKind.Gru, 2, true, train);
        string path = _folder.File("gru.onnx");
        ModelFile.ExportOnnx(model, path, metadata: new Dictionary<string, string> { ["task"] = "signs" });

        // 7 sequences of 20 steps: neither the batch nor the length the model was trained on.
        using var scope = NewDisposeScope();
        using var other = new SequenceDataset(randn(7, 20, Features), zeros(7, ScalarType.Int64), Classes);
        Assert.That(MaxDifference(OnnxOutputs(path, other).Logits, TorchLogits(model, other)), Is.LessThan(1e-4));

        using var session = new InferenceSession(path);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.That(metadata["cell"], Is.EqualTo("gru"));
        Assert.That(metadata["layers"], Is.EqualTo("2"));
        Assert.That(metadata["bidirectional"], Is.EqualTo("true"));
        Assert.That(metadata["task"], Is.EqualTo("signs"));
        Assert.That(session.InputMetadata.Keys, Is.EqualTo(new[] { "input" }));
        Assert.That(session.InputMetadata["input"].Dimensions, Is.EqualTo(new[] { -1, -1, Features }));
        Assert.That(session.OutputMetadata.Keys, Is.EqualTo(new[] { "logits", "probabilities" }));
        Assert.That(session.OutputMetadata["logits"].Dimensions, Is.EqualTo(new[] { -1, Classes }));
    }

    [TestCase(SequenceOrder.Rows)]
    [TestCase(SequenceOrder.Pixels)]
    [TestCase(SequenceOrder.Permuted)]
    public void A_classifiers_onnx_model_takes_images_and_reads_them_in_its_order(SequenceOrder order)
    {
        using var images = new DatasetSplit(rand(64, 5, 6), randint(0, 3, [64], ScalarType.Int64));
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Lstm, Steps = 3, BatchSize = 16, HiddenSize = 8, Order = order, StallWindow = 0 });
        using var model = trainer.CreateModel(CPU, SequenceLayout.Shape(order, 5, 6).Features, classes: 3);
        trainer.Train(model, images);
        using var classifier = TrainedClassifier.From(model, order, 5, 6);
        string path = _folder.File("digits.onnx");
        classifier.ExportOnnx(path);

        using var session = new InferenceSession(path);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(images.Images.data<float>().ToArray(), [64, 5, 6]))]);
        float[] probabilities = results.Single(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
        using var scope = NewDisposeScope();
        float[] expected = classifier.Probabilities(images.Images).data<float>().ToArray();

        Assert.That(MaxDifference(probabilities, expected), Is.LessThan(1e-5));
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.That((metadata["sequence_order"], metadata["image_rows"], metadata["image_columns"]), Is.EqualTo((order.ToName(), "5", "6")));
    }

    // A checkpoint of 28x28 images, as the runner's export reads one.
    private string Checkpoint()
    {
        using var images = new DatasetSplit(rand(40, 28, 28), randint(0, 10, [40], ScalarType.Int64));
        var trainer = new Trainer(new TrainingOptions { Steps = 2, BatchSize = 20, HiddenSize = 8, StallWindow = 0 })
        {
            Callbacks = [new CheckpointStore(_folder.File("checkpoints"))],
        };
        using var model = trainer.CreateModel(CPU, 28, 10);
        return trainer.Train(model, images).LastCheckpoint!;
    }

    [Test]
    public void The_runner_exports_an_onnx_model_that_onnx_runtime_runs()
    {
        string onnx = _folder.File("digits.onnx");
        var export = RunnerInProcess.Run("export", "--checkpoint", Checkpoint(), "--out", onnx);

        Assert.That(export.ExitCode, Is.EqualTo(0), export.Error);
        Assert.That(export.Output, Does.Contain($"to {onnx}"));
        using var session = new InferenceSession(onnx);
        Assert.That(session.InputMetadata["input"].Dimensions, Is.EqualTo(new[] { -1, 28, 28 }), "it takes images");
        Assert.That(session.ModelMetadata.CustomMetadataMap["sequence_order"], Is.EqualTo("rows"));
    }

    [Test]
    public void The_runner_refuses_an_onnx_path_it_cannot_or_must_not_write_and_leaves_nothing()
    {
        string checkpoint = Checkpoint();
        string existing = _folder.File("taken.onnx");
        File.WriteAllText(existing, "keep me");
        string folder = _folder.File("a-folder.onnx");
        Directory.CreateDirectory(folder);

        UserErrorAssert.OneSentence(RunnerInProcess.Run("export", "--checkpoint", checkpoint, "--out", existing), 2,
            $"--out: {existing} already exists; give a new file name, so nothing is overwritten.");
        UserErrorAssert.OneSentence(RunnerInProcess.Run("export", "--checkpoint", checkpoint, "--out", folder), 2,
            $"--out: {folder} already exists; give a new file name, so nothing is overwritten.");
        UserErrorAssert.OneSentence(RunnerInProcess.Run("export", "--checkpoint", checkpoint, "--out", _folder.File("missing/model.onnx")), 2,
            "--out: the folder of");
        // Not even root may create a file in /proc.
        UserErrorAssert.OneSentence(RunnerInProcess.Run("export", "--checkpoint", checkpoint, "--out", "/proc/model.onnx"), 5,
            "--out: cannot write /proc/model.onnx: /proc does not take new files (a special file system such as /proc); choose a folder on a disk.");
        Assert.That(File.ReadAllText(existing), Is.EqualTo("keep me"));
        Assert.That(Directory.GetFiles(_folder.Path), Is.EqualTo(new[] { existing }), "no temporary file is left behind");
    }
}
