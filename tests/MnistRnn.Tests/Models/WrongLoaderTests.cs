using MnistRnn.Checkpoints;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Models;

/// <summary>A file given to the wrong loader, or a state_dict of another architecture, is one sentence saying what to do.</summary>
[Category("Unit")]
public sealed class WrongLoaderTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static RecurrentClassifier Model(int hidden) => new(CellKind.Lstm, 4, hidden, 3);

    [Test]
    public void ModelFile_load_names_the_loader_of_a_pt_file_and_of_a_checkpoint()
    {
        string pt = _folder.File("model.pt");
        using (var model = Model(8)) model.save_py(pt);
        using var data = MnistRnn.Data.SequenceDataset.FromArrays(new float[6, 2, 4], [0, 1, 2, 0, 1, 2], 3);
        var trainer = new Trainer(new TrainingOptions { Steps = 1, BatchSize = 3, HiddenSize = 8, StallWindow = 0 }) { Callbacks = [new CheckpointStore(_folder.File("run"))] };
        using var trained = trainer.CreateModel(data);
        string checkpoint = trainer.Train(trained, data).LastCheckpoint!;

        Assert.That(Assert.Throws<InvalidDataException>(() => ModelFile.Load(pt))!.Message, Is.EqualTo(
            $"{pt} is a zip archive, as PyTorch's torch.save writes, not safetensors; load a state_dict with ModelFile.LoadStateDict(path, architecture)."));
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelFile.Load(checkpoint))!.Message, Is.EqualTo(
            $"{checkpoint} is a training checkpoint, not a model file; load it with TrainedClassifier.Load(path) or CheckpointFile.Read(path).CreateModel()."));
    }

    [TestCase(".safetensors")]
    [TestCase(".pt")]
    public void A_state_dict_of_a_larger_model_names_its_first_weight_that_does_not_fit(string extension)
    {
        string path = _folder.File("big" + extension);
        using (var model = Model(16))
        {
            if (extension == ".pt") model.save_py(path);
            else ModelFile.Save(model, path);
        }

        var error = Assert.Throws<InvalidDataException>(() => ModelFile.LoadStateDict(path, new RecurrentClassifierOptions(CellKind.Lstm, 4, 8, 3)))!;

        Assert.That(error.Message, Does.StartWith($"{path}: weight recurrent.weight_ih_l0 has shape (64, 4) where a "));
        Assert.That(error.Message, Does.EndWith("model needs (32, 4)."));
    }
}
