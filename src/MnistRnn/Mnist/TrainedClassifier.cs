using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Inference;

/// <summary>
/// A classifier loaded from a checkpoint, ready to predict: it reads images in the sequence order it
/// was trained with, in evaluation mode, without gradients.
/// </summary>
public sealed class TrainedClassifier : IDisposable
{
    private readonly SequenceLayout _layout;

    private TrainedClassifier(Checkpoint checkpoint, Device device)
    {
        Info = checkpoint.Info;
        Model = checkpoint.CreateModel(device);
        Model.eval();
        Device = device;
        _layout = new SequenceLayout(Info.Options.Order, Info.ImageRows, Info.ImageColumns, device);
    }

    /// <summary>Loads the checkpoint at <paramref name="path"/> onto <paramref name="device"/> (default CPU).</summary>
    /// <exception cref="CheckpointException">The file is not a usable checkpoint.</exception>
    public static TrainedClassifier Load(string path, Device? device = null) => new(CheckpointFile.Read(path), device ?? CPU);

    /// <summary>Wraps an already read checkpoint.</summary>
    public static TrainedClassifier From(Checkpoint checkpoint, Device? device = null) => new(checkpoint, device ?? CPU);

    /// <summary>What the checkpoint says about the model.</summary>
    public CheckpointInfo Info { get; }

    /// <summary>The classifier itself.</summary>
    public RecurrentClassifier Model { get; }

    /// <summary>The device it runs on.</summary>
    public Device Device { get; }

    /// <summary>Class probabilities for a batch of images.</summary>
    /// <param name="images">Shape (batch, rows, columns) or (rows, columns), values in [0, 1] with light ink on dark, as MNIST.</param>
    /// <returns>Shape (batch, classes); belongs to the caller's dispose scope.</returns>
    public Tensor Probabilities(Tensor images)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var batch = images.dim() == 2 ? images.unsqueeze(0) : images;
        var logits = Model.call(_layout.Arrange(batch.to(ScalarType.Float32).to(Device)));
        return nn.functional.softmax(logits, 1).MoveToOuterDisposeScope();
    }

    /// <summary>The prediction for one image tensor of shape (rows, columns), in MNIST's style.</summary>
    public Prediction Predict(Tensor image)
    {
        using var scope = NewDisposeScope();
        double[] probabilities = Probabilities(image).cpu().to(ScalarType.Float64).data<double>().ToArray();
        int best = Array.IndexOf(probabilities, probabilities.Max());
        return new Prediction(best, probabilities);
    }

    /// <summary>
    /// True when pictures can be prepared for this model: it was trained on images of at least
    /// <see cref="DigitImagePreparation.MinSide"/> pixels a side.
    /// </summary>
    public bool AcceptsPictures => Info.ImageRows >= DigitImagePreparation.MinSide && Info.ImageColumns >= DigitImagePreparation.MinSide;

    /// <summary>The prediction for a picture of any size, prepared as MNIST was (see <see cref="DigitImagePreparation"/>).</summary>
    /// <exception cref="InvalidOperationException">The model does not accept pictures (see <see cref="AcceptsPictures"/>).</exception>
    public Prediction Predict(GrayscaleImage image, InkPolarity polarity = InkPolarity.Auto)
    {
        if (!AcceptsPictures)
            throw new InvalidOperationException(
                $"This model was trained on {Info.ImageRows}x{Info.ImageColumns} images; a picture can be prepared only for images of at least " +
                $"{DigitImagePreparation.MinSide}x{DigitImagePreparation.MinSide}. Pass image tensors of its size instead.");
        using var scope = NewDisposeScope();
        return Predict(DigitImagePreparation.ToMnistStyle(image, polarity, Info.ImageRows, Info.ImageColumns));
    }

    /// <summary>Releases the model.</summary>
    public void Dispose()
    {
        Model.Dispose();
        _layout.Dispose();
    }
}
