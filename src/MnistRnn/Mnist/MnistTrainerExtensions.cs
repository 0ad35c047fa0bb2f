using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Mnist;

/// <summary>
/// The trainer on images: each reads the images as sequences in <see cref="TrainingOptions.Order"/> (see
/// <see cref="DatasetSplit.ToSequences"/>) and hands them to the one training loop, which reads only sequences.
/// </summary>
public static class MnistTrainerExtensions
{
    /// <summary>
    /// Builds the classifier for <paramref name="dataset"/> read in <see cref="TrainingOptions.Order"/> (28 features per
    /// step for rows, 1 for the pixel orders; 10 classes), as <see cref="Trainer.CreateModel(Device, int, int)"/>.
    /// </summary>
    public static RecurrentClassifier CreateModel(this Trainer trainer, Device device, MnistDataset dataset) =>
        trainer.CreateModel(device, SequenceLayout.Shape(trainer.Options.Order, dataset.Rows, dataset.Columns).Features, dataset.Classes);

    /// <summary>
    /// Trains <paramref name="model"/> on the images of <paramref name="train"/>, read in <see cref="TrainingOptions.Order"/>,
    /// as <see cref="Trainer.Train(RecurrentClassifier, SequenceDataset, SequenceDataset, CancellationToken, Checkpoint)"/>;
    /// a checkpoint records the images' size and fingerprint, so it resumes on the same images in any order it names.
    /// </summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="model">The classifier, on the device of the images.</param>
    /// <param name="train">Training images and labels.</param>
    /// <param name="validation">Held-out images of the same size and their labels, on the same device; null for none.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <param name="resume">A checkpoint of this run to continue from.</param>
    /// <inheritdoc cref="Trainer.Train(RecurrentClassifier, SequenceDataset, SequenceDataset, CancellationToken, Checkpoint)" path="/exception"/>
    public static TrainingResult Train(this Trainer trainer, RecurrentClassifier model, DatasetSplit train, DatasetSplit? validation = null,
        CancellationToken cancellationToken = default, Checkpoint? resume = null)
    {
        if (validation is not null && (validation.Rows != train.Rows || validation.Columns != train.Columns))
            throw new ArgumentException($"the validation images are {validation.Rows}x{validation.Columns}, the training images {train.Rows}x{train.Columns}; hold out images of one size.");
        var order = trainer.Options.Order;
        using var sequences = train.ToSequences(order, model.Classes);
        using var heldOut = validation?.ToSequences(order, model.Classes);
        return trainer.Train(model, sequences, heldOut, train.Identity(), cancellationToken, resume);
    }

    /// <summary>Trains as <see cref="Train(Trainer, RecurrentClassifier, DatasetSplit, DatasetSplit, CancellationToken, Checkpoint)"/>, without validation.</summary>
    public static TrainingResult Train(this Trainer trainer, RecurrentClassifier model, DatasetSplit train, CancellationToken cancellationToken, Checkpoint? resume = null) =>
        trainer.Train(model, train, null, cancellationToken, resume);

    /// <summary>Evaluates <paramref name="model"/> on the images of <paramref name="test"/>, read in <see cref="TrainingOptions.Order"/>, and logs the experiment's final line.</summary>
    /// <exception cref="ArgumentException">The model does not fit the images in that order.</exception>
    public static EvaluationResult Evaluate(this Trainer trainer, RecurrentClassifier model, DatasetSplit test)
    {
        using var sequences = test.ToSequences(trainer.Options.Order, model.Classes);
        return trainer.Evaluate(model, sequences);
    }
}
