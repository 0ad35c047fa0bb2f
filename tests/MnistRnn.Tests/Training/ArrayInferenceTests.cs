using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>
/// Inference from plain .NET arrays (one sequence as <c>float[]</c> or <c>float[,]</c>, a batch as <c>float[,,]</c>, sequences of
/// different lengths as <c>float[][]</c>) gives what the tensor path gives, logits included; a jagged array is also a dataset.
/// </summary>
[Category("Unit")]
public sealed class ArrayInferenceTests
{
    private SequenceDataset _data = null!;
    private RecurrentClassifier _model = null!;

    [OneTimeSetUp]
    public void Train()
    {
        _data = LearnableTasks.FirstStepOfVariableLength(60, seed: 4);
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Gru, HiddenSize = 12, BatchSize = 20, Steps = 30, Device = DeviceChoice.Cpu, StallWindow = 0 });
        _model = trainer.CreateModel(_data);
        trainer.Train(_model, _data);
    }

    [OneTimeTearDown]
    public void Release()
    {
        _model.Dispose();
        _data.Dispose();
    }

    // Each sequence's own steps, as a caller holding plain arrays has them.
    private float[][] Jagged()
    {
        float[] all = _data.Sequences.data<float>().ToArray();
        long[] lengths = _data.Lengths!.data<long>().ToArray();
        int row = _data.Steps * _data.Features;
        return [.. lengths.Select((length, i) => all[(i * row)..(i * row + (int)length * _data.Features)])];
    }

    private static void AssertSame(Prediction actual, Prediction expected)
    {
        Assert.That(actual.Class, Is.EqualTo(expected.Class));
        Assert.That(actual.Probabilities, Is.EqualTo(expected.Probabilities).Within(1e-6));
        Assert.That(actual.Logits, Is.EqualTo(expected.Logits).Within(1e-5));
    }

    [Test]
    public void Sequences_of_different_lengths_give_what_the_tensor_path_gives()
    {
        var expected = ModelEvaluation.Predict(_model, _data);

        var fromJagged = ModelEvaluation.Predict(_model, Jagged(), _data.Features);

        Assert.That(_data.Lengths!.data<long>().ToArray().Distinct().Count(), Is.GreaterThan(1), "the lengths differ");
        Assert.That(fromJagged, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++) AssertSame(fromJagged[i], expected[i]);
    }

    [Test]
    public void One_sequence_as_a_flat_or_a_two_dimensional_array_gives_its_prediction_in_the_batch()
    {
        var expected = ModelEvaluation.Predict(_model, _data);
        var jagged = Jagged();
        for (int i = 0; i < 5; i++)
        {
            AssertSame(ModelEvaluation.Predict(_model, jagged[i], _data.Features), expected[i]);
            var square = new float[jagged[i].Length / _data.Features, _data.Features];
            Buffer.BlockCopy(jagged[i], 0, square, 0, jagged[i].Length * sizeof(float));
            AssertSame(ModelEvaluation.Predict(_model, square), expected[i]);
        }
    }

    [Test]
    public void A_three_dimensional_array_gives_what_its_tensor_gives()
    {
        var values = new float[_data.Count, _data.Steps, _data.Features];
        Buffer.BlockCopy(_data.Sequences.data<float>().ToArray(), 0, values, 0, values.Length * sizeof(float));

        var predictions = ModelEvaluation.Predict(_model, values);

        var expected = ModelEvaluation.Predict(_model, _data.Sequences);
        for (int i = 0; i < expected.Count; i++) AssertSame(predictions[i], expected[i]);
    }

    [Test]
    public void The_logits_are_what_the_probabilities_are_the_softmax_of()
    {
        var prediction = ModelEvaluation.Predict(_model, Jagged()[0], _data.Features);

        double[] exp = prediction.Logits.Select(Math.Exp).ToArray();
        Assert.That(prediction.Probabilities, Is.EqualTo(exp.Select(e => e / exp.Sum())).Within(1e-6));
        Assert.That(prediction.Class, Is.EqualTo(Array.IndexOf(prediction.Logits.ToArray(), prediction.Logits.Max())));
    }

    [Test]
    public void A_jagged_array_makes_a_dataset_read_to_each_ones_length()
    {
        int[] labels = _data.Labels.data<long>().ToArray().Select(l => (int)l).ToArray();

        using var dataset = SequenceDataset.FromArrays(Jagged(), _data.Features, labels, _data.Classes);

        Assert.That(dataset.Lengths!.data<long>().ToArray(), Is.EqualTo(_data.Lengths!.data<long>().ToArray()));
        Assert.That(ModelEvaluation.Evaluate(_model, dataset), Is.EqualTo(ModelEvaluation.Evaluate(_model, _data)));
    }

    [TestCase(7, 2, "sequence 0 holds 7 values, not a whole number of steps of 2 features; each holds its steps' features one step after another.")]
    [TestCase(0, 2, "sequence 0 holds 0 values, not a whole number of steps of 2 features; each holds its steps' features one step after another.")]
    [TestCase(6, 3, "the model reads 2 features per step into 4 classes, but the data has 3 features and 4 classes.")]
    [TestCase(6, 0, "features must be at least 1, got 0.")]
    public void Arrays_that_are_not_sequences_of_the_models_features_are_one_sentence(int values, int features, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ModelEvaluation.Predict(_model, new float[values], features))!;

        Assert.That(error.Message, Is.EqualTo(message));
    }
}
