using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Runner.Output;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Runner;

/// <summary>train --metrics' folder, written and read back in this process, for a model that moved before it trained.</summary>
[Category("Unit")]
public sealed class MetricsFolderTests
{
    [Test]
    public void A_model_moved_to_float64_and_back_writes_a_folder_that_reads_back_whole()
    {
        using var folder = new TempFolder();
        using var images = new DatasetSplit(rand(30, 5, 4, generator: new Generator(35)), randint(0, 2, [30], ScalarType.Int64));
        using var train = images.ToSequences(SequenceOrder.Rows, 2);
        var trainer = new Trainer(MetricsFolder.Measuring(new TrainingOptions
        {
            Cell = CellKind.Lstm, Steps = 6, BatchSize = 10, HiddenSize = 8, Device = DeviceChoice.Cpu, Threads = 1, CheckpointEvery = 0,
        }));
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        model.to(ScalarType.Float64);
        model.to(ScalarType.Float32);
        TrainingResult result;
        using (var metrics = new MetricsFolder(folder.Path))
        {
            trainer.Callbacks.Add(metrics);
            result = trainer.Train(model, train);
            metrics.Finish(model, images, SequenceOrder.Rows, result);
        }

        var read = MetricsFolder.Read(folder.Path, CellKind.Lstm);

        Assert.That(read.Steps.Select(s => s.Step), Is.EqualTo(Enumerable.Range(1, 6)));
        Assert.That(read.Steps[^1].Loss, Is.EqualTo(result.LastStep.Loss));
        Assert.That(read.GradientFlow.Select(f => f.Step), Is.EqualTo(new[] { 0, 6 }));
        Assert.That(read.GradientFlow.Select(f => f.Norms.Count), Is.All.EqualTo(5), "one norm per row of the image");
        Assert.That(read.FinalHiddenState, Has.Length.EqualTo(30 * 8), "every test image's hidden state");
        Assert.That(read.Validations, Is.Empty);
    }
}
