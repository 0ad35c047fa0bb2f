using System.Text.Json;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;
using static MnistRnn.Tests.Onnx.OnnxExportTests;

namespace MnistRnn.Tests.Onnx;

/// <summary>ONNX's own checker (Debian's python3-onnx) passes every kind of file the export writes.</summary>
[Category("Onnx")]
[Category("Python")]
public sealed class OnnxCheckerTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [Test]
    public void Onnxs_own_checker_passes_every_kind_of_exported_file()
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || ChildProcess.Run(python, "-c", "import onnx").ExitCode != 0)
            Assert.Inconclusive($"{python} cannot import onnx; install Debian's python3-onnx (.ci/run does where apt can).");
        using var train = Sequences(60, variableLength: true, seed: 4);
        foreach (var cell in Enum.GetValues<CellKind>())
        foreach (bool variable in new[] { false, true })
        {
            using var model = TrainedBriefly(cell, 2, bidirectional: true, train);
            ModelFile.ExportOnnx(model, _folder.File($"{cell.ToName()}-{(variable ? "variable" : "fixed")}.onnx"), variable);
        }
        using var images = new DatasetSplit(rand(16, 4, 4), randint(0, 2, [16], ScalarType.Int64));
        using var pixelModel = new Trainer(new TrainingOptions { HiddenSize = 4 }).CreateModel(CPU, 1, 2);
        using (var classifier = TrainedClassifier.From(pixelModel, SequenceOrder.Permuted, 4, 4))
            classifier.ExportOnnx(_folder.File("permuted-images.onnx"));

        var check = ChildProcess.Run(python, Path.Combine(RepositoryPaths.Root, "tests", "MnistRnn.Tests", "Onnx", "check_onnx.py"), _folder.Path);
        Assert.That(check.ExitCode, Is.EqualTo(0), check.Error);
        var results = JsonSerializer.Deserialize<Dictionary<string, string>>(check.Output)!;
        Assert.That(results, Has.Count.EqualTo(9));
        Assert.That(results.Where(r => r.Value != "ok"), Is.Empty);
    }
}
