using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Mnist;

[Category("Unit")]
public sealed class TrainedClassifierTests
{
    [TestCase(SequenceOrder.Rows)]
    [TestCase(SequenceOrder.Permuted)]
    public void A_loaded_classifier_predicts_what_the_trained_model_computes_in_its_sequence_order(SequenceOrder order)
    {
        using var folder = new TempFolder();
        using var data = new DatasetSplit(rand(32, 6, 6), randint(0, 3, [32], ScalarType.Int64));
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Gru, Steps = 3, BatchSize = 8, HiddenSize = 8, Order = order })
        {
            Callbacks = [new CheckpointStore(folder.Path)],
        };
        using var model = trainer.CreateModel(CPU, inputSize: order == SequenceOrder.Rows ? 6 : 1, classes: 3);
        var trained = trainer.Train(model, data);
        using var scope = NewDisposeScope();
        using var layout = new SequenceLayout(order, data.Rows, data.Columns);
        var expected = model.call(layout.Arrange(data.Images.narrow(0, 0, 4))).softmax(1);

        using var classifier = TrainedClassifier.Load(trained.LastCheckpoint!);
        var probabilities = classifier.Probabilities(data.Images.narrow(0, 0, 4));
        var single = classifier.Predict(data.Images[2]);

        Assert.That(probabilities.allclose(expected, rtol: 1e-5, atol: 1e-6), Is.True);
        Assert.That(single.Class, Is.EqualTo(expected[2].argmax().item<long>()));
        Assert.That(single.Probabilities.Sum(), Is.EqualTo(1).Within(1e-6));
        Assert.That(single.Confidence, Is.EqualTo(single.Probabilities.Max()));
    }

    [Test]
    public void A_classifier_saved_to_a_model_file_loads_with_its_image_size_and_order()
    {
        using var folder = new TempFolder();
        using var data = new DatasetSplit(rand(32, 5, 6), randint(0, 3, [32], ScalarType.Int64));
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Lstm, Steps = 2, BatchSize = 8, HiddenSize = 8, Order = SequenceOrder.Permuted })
        {
            Callbacks = [new CheckpointStore(folder.Path)],
        };
        TrainingResult trained;
        using (var model = trainer.CreateModel(CPU, inputSize: 1, classes: 3)) trained = trainer.Train(model, data);
        using var fromCheckpoint = TrainedClassifier.Load(trained.LastCheckpoint!);
        string file = folder.File("digits.safetensors");
        fromCheckpoint.Save(file);

        using var fromFile = TrainedClassifier.Load(file);
        using var scope = NewDisposeScope();

        Assert.That((fromFile.Order, fromFile.ImageRows, fromFile.ImageColumns, fromFile.Info), Is.EqualTo((SequenceOrder.Permuted, 5, 6, (CheckpointInfo?)null)));
        Assert.That(fromFile.Probabilities(data.Images).eq(fromCheckpoint.Probabilities(data.Images)).all().item<bool>(), Is.True);
    }

    [Test]
    public void A_model_file_without_an_image_size_is_not_an_image_classifier()
    {
        using var folder = new TempFolder();
        using var model = new RecurrentClassifier(CellKind.Gru, inputSize: 4, hiddenSize: 3, classes: 2);
        string file = folder.File("series.safetensors");
        ModelFile.Save(model, file);

        var error = Assert.Throws<InvalidDataException>(() => TrainedClassifier.Load(file))!;
        Assert.That(error.Message, Is.EqualTo($"{file} records no image size and sequence order, so it is not an image classifier; load it with ModelFile.Load."));
    }

    [Test]
    public void The_confusion_matrix_gives_precision_and_recall_per_class()
    {
        var confusion = new ConfusionMatrix(3);
        foreach (var (actual, predicted) in new[] { (0, 0), (0, 0), (0, 1), (1, 1), (2, 1) })
            confusion.Add(actual, predicted);

        Assert.That(confusion.Total, Is.EqualTo(5));
        Assert.That(confusion[0, 1], Is.EqualTo(1));
        Assert.That((confusion.Precision(0), confusion.Recall(0)), Is.EqualTo((1.0, 2 / 3.0)));
        Assert.That((confusion.Precision(1), confusion.Recall(1)), Is.EqualTo((1 / 3.0, 1.0)));
        Assert.That(confusion.Precision(2), Is.NaN, "nothing was predicted as 2");
        Assert.That(confusion.Recall(2), Is.Zero);
    }
}
