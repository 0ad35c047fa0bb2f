using MnistRnn.Data;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Support;

/// <summary>Small synthetic tasks a recurrent classifier learns in a few dozen steps.</summary>
internal static class LearnableTasks
{
    /// <summary>4x4 images whose class is the row holding the brightest pixel (4 classes).</summary>
    public static DatasetSplit BrightestRow(int count, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var labels = randint(0, 4, [count], ScalarType.Int64, generator: generator);
        var images = rand([count, 4, 4], generator: generator).mul_(0.5);
        images.index_put_(ones(count), arange(count), labels, randint(0, 4, [count], ScalarType.Int64, generator: generator));
        return new DatasetSplit(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>96 images of 5x4 whose class is whether their overall brightness exceeds 10 (2 classes).</summary>
    public static DatasetSplit Brightness(long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var images = rand([96, 5, 4], generator: generator);
        var labels = images.sum([1, 2]).gt(10).to(ScalarType.Int64);
        return new DatasetSplit(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }
}
