using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// One split of an image dataset: images (count, rows, columns) float32 in [0, 1] and labels (count) int64. The trainer
/// reads a <see cref="SequenceDataset"/> in this form too, its sequences as one-row-per-step images.
/// </summary>
public sealed class DatasetSplit : IDisposable
{
    private readonly bool _ownsTensors;

    /// <summary>Wraps the two tensors; the split owns and disposes them.</summary>
    public DatasetSplit(Tensor images, Tensor labels) : this(images, labels, null, ownsTensors: true)
    {
    }

    internal DatasetSplit(Tensor images, Tensor labels, Tensor? lengths, bool ownsTensors)
    {
        if (images.shape[0] != labels.shape[0])
            throw new ArgumentException($"images hold {images.shape[0]} items but labels hold {labels.shape[0]}.");
        Images = images;
        Labels = labels;
        Lengths = lengths;
        _ownsTensors = ownsTensors;
    }

    /// <summary>Images, shape (count, rows, columns), float32 in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>Labels, shape (count), int64.</summary>
    public Tensor Labels { get; }

    /// <summary>Each item's length in steps (rows), int64 on the CPU, for variable-length sequences; null when all are full length.</summary>
    internal Tensor? Lengths { get; }

    /// <summary>Number of items.</summary>
    public int Count => (int)Images.shape[0];

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        if (!_ownsTensors) return;
        Images.Dispose();
        Labels.Dispose();
    }
}
