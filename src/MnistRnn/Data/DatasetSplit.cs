using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>One split of a dataset: images (count, rows, columns) float32 in [0, 1] and labels (count) int64.</summary>
public sealed class DatasetSplit : IDisposable
{
    /// <summary>Wraps the two tensors; the split owns and disposes them.</summary>
    public DatasetSplit(Tensor images, Tensor labels)
    {
        if (images.shape[0] != labels.shape[0])
            throw new ArgumentException($"images hold {images.shape[0]} items but labels hold {labels.shape[0]}.");
        Images = images;
        Labels = labels;
    }

    /// <summary>Images, shape (count, rows, columns), float32 in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>Labels, shape (count), int64.</summary>
    public Tensor Labels { get; }

    /// <summary>Number of items.</summary>
    public int Count => (int)Images.shape[0];

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
