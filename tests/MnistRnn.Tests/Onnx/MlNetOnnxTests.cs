using Microsoft.ML;
using Microsoft.ML.Data;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;

namespace MnistRnn.Tests.Onnx;

/// <summary>
/// An exported model used from ML.NET the way its documentation shows (<c>ApplyOnnxModel</c> in a pipeline over an
/// <c>IDataView</c>) gives the classes that the library's own prediction gives.
/// </summary>
[Category("Unit")]
[Category("Onnx")]
public sealed class MlNetOnnxTests
{
    private sealed class SequenceRow
    {
        [ColumnName("input")]
        public float[] Input { get; set; } = [];
    }

    private sealed class LogitsRow
    {
        [ColumnName("logits")]
        public float[] Logits { get; set; } = [];
    }

    [Test]
    public void Ml_nets_ApplyOnnxModel_gives_the_classes_predict_gives()
    {
        using var folder = new TempFolder();
        using var data = LearnableTasks.BrightestRow(200, seed: 5);
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Lstm, HiddenSize = 16, BatchSize = 20, Steps = 60, Device = DeviceChoice.Cpu, StallWindow = 0 });
        using var model = trainer.CreateModel(data);
        trainer.Train(model, data);
        string path = folder.File("model.onnx");
        ModelFile.ExportOnnx(model, path);
        int[] expected = [.. ModelEvaluation.Predict(model, data).Select(p => p.Class)];

        var ml = new MLContext(seed: 1);
        int values = data.Steps * data.Features;
        float[] all = data.Sequences.data<float>().ToArray();
        var rows = Enumerable.Range(0, data.Count).Select(i => new SequenceRow { Input = all[(i * values)..((i + 1) * values)] });
        var schema = SchemaDefinition.Create(typeof(SequenceRow));
        schema["input"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, values);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        // The export's batch and step counts are free; ML.NET wants them fixed, one sequence per row.
        var pipeline = ml.Transforms.ApplyOnnxModel(["logits"], ["input"], path,
            shapeDictionary: new Dictionary<string, int[]> { ["input"] = [1, data.Steps, data.Features] }, gpuDeviceId: null, fallbackToCpu: false);
        var scored = pipeline.Fit(view).Transform(view);
        int[] classes = [.. ml.Data.CreateEnumerable<LogitsRow>(scored, reuseRowObject: false).Select(r => Array.IndexOf(r.Logits, r.Logits.Max()))];

        Assert.That(classes, Is.EqualTo(expected));
        Assert.That(expected.Distinct().Count(), Is.GreaterThan(1), "the model tells classes apart");
    }
}
