using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// One split of an image dataset such as MNIST: images (count, rows, columns) and labels (count) int64. Images are kept
/// as given: as bytes (0 to 255, what IDX files hold and what <see cref="Mnist.MnistDataset"/> keeps), scaled to float32
/// in [0, 1] a batch at a time, or as float32 in [0, 1]. The trainer reads sequences: <see cref="ToSequences"/> turns the
/// images into them in a <see cref="SequenceOrder"/>, and the MNIST conveniences (<see cref="Mnist.MnistTrainerExtensions"/>)
/// do so with the options' order.
/// </summary>
public sealed class DatasetSplit : IDisposable
{
    /// <summary>Wraps the two tensors; the split owns and disposes them.</summary>
    /// <param name="images">Shape (count, rows, columns): bytes 0 to 255, or float32 in [0, 1].</param>
    /// <param name="labels">Shape (count), int64.</param>
    /// <exception cref="ArgumentException">A shape or the images' type is not one of these.</exception>
    public DatasetSplit(Tensor images, Tensor labels)
    {
        if (images.dim() != 3)
            throw new ArgumentException($"images must have shape (count, rows, columns), got ({string.Join(", ", images.shape)}).");
        if (images.dtype is not (ScalarType.Byte or ScalarType.Float32))
            throw new ArgumentException($"images must be bytes (0 to 255) or float32 (0 to 1), got {images.dtype}.");
        if (images.shape[0] != labels.shape[0])
            throw new ArgumentException($"images hold {images.shape[0]} items but labels hold {labels.shape[0]}.");
        _images = images;
        _labels = labels;
    }

    private readonly Tensor _images, _labels;
    private Tensor? _float32Copy;
    private bool _disposed;

    // Libtorch would say "Tensor invalid -- empty handle" of a released tensor; this names what was released.
    private Tensor Usable(Tensor tensor) => _disposed
        ? throw new ObjectDisposedException(null, "this DatasetSplit was disposed, which released its tensors; load the images again to use them.")
        : tensor;

    /// <summary>
    /// Images, shape (count, rows, columns), float32 in [0, 1]. Of images kept as bytes, the first read makes a float32 copy
    /// (four times their memory) that the split keeps until it is disposed; training and evaluation never make it.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The split was disposed.</exception>
    public Tensor Images
    {
        get
        {
            var stored = Usable(_images);
            if (stored.dtype == ScalarType.Float32) return stored;
            // Detached, so a caller's dispose scope does not release the copy the split keeps.
            return _float32Copy ??= PixelBytes.AsFloat32(stored).DetachFromDisposeScope();
        }
    }

    /// <summary>Labels, shape (count), int64.</summary>
    /// <exception cref="ObjectDisposedException">The split was disposed.</exception>
    public Tensor Labels => Usable(_labels);

    /// <summary>Number of items.</summary>
    public int Count => (int)Usable(_images).shape[0];

    /// <summary>Image height.</summary>
    public int Rows => (int)Usable(_images).shape[1];

    /// <summary>Image width.</summary>
    public int Columns => (int)Usable(_images).shape[2];

    /// <summary>
    /// The images as sequences in <paramref name="order"/>, with <paramref name="classes"/> classes; the dataset is the
    /// caller's to dispose, and this split must outlive it. Rows and pixels are views of the images and cost no memory;
    /// the permuted order is one rearranged copy of them (as bytes, when the images are).
    /// </summary>
    /// <exception cref="ArgumentException">A label lies outside 0 to <paramref name="classes"/> - 1.</exception>
    public SequenceDataset ToSequences(SequenceOrder order, int classes)
    {
        var images = Usable(_images);
        using var layout = new SequenceLayout(order, Rows, Columns, images.device);
        using var scope = NewDisposeScope();
        var sequences = layout.Arrange(images);
        var labels = Labels.alias();
        var dataset = new SequenceDataset(sequences, labels, classes, lengths: null, fromImages: true);
        sequences.DetachFromDisposeScope();
        labels.DetachFromDisposeScope();
        return dataset;
    }

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
        var images = Usable(_images);
        DatasetSplit Select(Tensor indices)
        {
            var onDevice = indices.to(images.device);
            return new DatasetSplit(images.index_select(0, onDevice).MoveToOuterDisposeScope(), Labels.index_select(0, onDevice).MoveToOuterDisposeScope());
        }
        return (Select(rest), Select(held));
    }

    /// <summary>What a checkpoint records of these images and labels.</summary>
    internal DataIdentity Identity() => DataIdentity.Of(Usable(_images), Labels);

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _images.Dispose();
        _float32Copy?.Dispose();
        _labels.Dispose();
    }
}
