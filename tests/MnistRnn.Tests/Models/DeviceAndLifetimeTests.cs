using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Models;

/// <summary>
/// Mistakes a library user makes with devices and lifetimes get one sentence naming the device or the object, at every
/// entry point, never libtorch's "did not initialise" or "empty handle".
/// </summary>
[Category("Unit")]
public sealed class DeviceAndLifetimeTests
{
    // No machine has a 100th GPU: on a CPU build this is "not available", on a GPU machine "does not exist".
    private static readonly Device MissingGpu = new(DeviceType.CUDA, 99);

    private static IEnumerable<TestCaseData> EntryPoints()
    {
        yield return new TestCaseData(new Action(() => SequenceDataset.FromArrays(new float[2, 3, 1], [0, 1], 2, device: MissingGpu))).SetName("SequenceDataset.FromArrays");
        yield return new TestCaseData(new Action(() => new Trainer(new TrainingOptions()).CreateModel(MissingGpu, 4, 2))).SetName("Trainer.CreateModel");
        yield return new TestCaseData(new Action(() => ModelFile.Load("any.safetensors", MissingGpu))).SetName("ModelFile.Load");
        yield return new TestCaseData(new Action(() => ModelFile.LoadStateDict("any.pt", new RecurrentClassifierOptions(CellKind.Lstm, 4, 8, 2), MissingGpu))).SetName("ModelFile.LoadStateDict");
        yield return new TestCaseData(new Action(() => MnistDataset.Load(RepositoryPaths.Mnist, MissingGpu))).SetName("MnistDataset.Load");
        yield return new TestCaseData(new Action(() => TrainedClassifier.Load("any.ckpt", MissingGpu))).SetName("TrainedClassifier.Load");
        yield return new TestCaseData(new Action(() => new SequenceLayout(SequenceOrder.Permuted, 4, 4, MissingGpu))).SetName("SequenceLayout");
    }

    [TestCaseSource(nameof(EntryPoints))]
    public void A_gpu_the_machine_lacks_is_one_sentence_at_every_entry_point(Action call)
    {
        var error = Assert.Throws<DeviceUnavailableException>(call)!;

        Assert.That(error.Message, Does.StartWith("cuda:99 "));
        Assert.That(error.Message, Does.Contain(cuda_is_available() ? "does not exist" : "is not available"));
        Assert.That(error.Message.TrimEnd('.').Split(". ").Length, Is.EqualTo(1), "one sentence");
    }

    [Test]
    public void A_disposed_dataset_or_model_used_again_is_named()
    {
        var data = SequenceDataset.FromArrays(new float[4, 3, 2], [0, 1, 0, 1], 2);
        var trainer = new Trainer(new TrainingOptions { Steps = 1, BatchSize = 2, HiddenSize = 4, StallWindow = 0 });
        var model = trainer.CreateModel(data);
        data.Dispose();
        data.Dispose(); // twice is harmless

        var dataError = Assert.Throws<ObjectDisposedException>(() => trainer.Train(model, data))!;
        Assert.That(dataError.Message, Is.EqualTo("this SequenceDataset was disposed, which released its tensors; build the dataset again to use it."));

        using var fresh = SequenceDataset.FromArrays(new float[4, 3, 2], [0, 1, 0, 1], 2);
        model.Dispose();
        var calls = new Action[]
        {
            () => trainer.Train(model, fresh), () => ModelEvaluation.Evaluate(model, fresh), () => ModelFile.Save(model, "never.safetensors"),
            // Every way to predict, plain arrays included, which read the weights' device first.
            () => ModelEvaluation.Predict(model, new float[3 * 2], 2), () => ModelEvaluation.Predict(model, new float[3, 2]),
            () => ModelEvaluation.Predict(model, new float[1, 3, 2]), () => ModelEvaluation.Predict(model, [new float[2], new float[4]], 2),
            () => ModelEvaluation.Predict(model, fresh),
        };
        foreach (var call in calls)
        {
            var modelError = Assert.Throws<ObjectDisposedException>(call)!;
            Assert.That(modelError.Message, Is.EqualTo("this lstm RecurrentClassifier was disposed, which released its weights; load or build the model again."));
        }

        var images = new DatasetSplit(rand(4, 3, 3), zeros(4, ScalarType.Int64));
        images.Dispose();
        Assert.That(Assert.Throws<ObjectDisposedException>(() => images.ToSequences(SequenceOrder.Rows, 2))!.Message, Does.StartWith("this DatasetSplit was disposed"));
    }
}
