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

    /// <summary>
    /// Splits off <paramref name="count"/> items drawn at random with <paramref name="seed"/> (the same seed draws the same items):
    /// the remaining and the held-out items, disjoint, each in this split's order and owning copies of its tensors.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not between 1 and one less than the items.</exception>
    public (DatasetSplit Remaining, DatasetSplit HeldOut) HoldOut(int count, long seed)
    {
        if (count < 1 || count >= Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"must leave at least one of the {Count} items on each side.");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var order = randperm(Count, generator: generator);
        var held = order.narrow(0, 0, count).sort().Values;
        var rest = order.narrow(0, count, Count - count).sort().Values;
        DatasetSplit Select(Tensor indices)
        {
            var onDevice = indices.to(Images.device);
            return new DatasetSplit(Images.index_select(0, onDevice).MoveToOuterDisposeScope(), Labels.index_select(0, onDevice).MoveToOuterDisposeScope(),
                Lengths?.index_select(0, indices).MoveToOuterDisposeScope(), ownsTensors: true);
        }
        return (Select(rest), Select(held));
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        if (!_ownsTensors) return;
        Images.Dispose();
        Labels.Dispose();
        Lengths?.Dispose();
    }
}
