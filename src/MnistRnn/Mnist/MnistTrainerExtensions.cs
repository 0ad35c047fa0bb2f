using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Mnist;

/// <summary>The trainer's MNIST conveniences.</summary>
public static class MnistTrainerExtensions
{
    /// <summary>
    /// Builds the classifier for <paramref name="dataset"/> read in <see cref="TrainingOptions.Order"/> (28 features per
    /// step for rows, 1 for the pixel orders; 10 classes), as <see cref="Trainer.CreateModel(Device, int, int)"/>.
    /// </summary>
    public static RecurrentClassifier CreateModel(this Trainer trainer, Device device, MnistDataset dataset)
    {
        using var layout = SequenceLayout.For(dataset.Train, trainer.Options.Order);
        return trainer.CreateModel(device, layout.Features, dataset.Classes);
    }
}
