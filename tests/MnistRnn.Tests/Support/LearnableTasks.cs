using MnistRnn.Data;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Support;

/// <summary>Small synthetic tasks a recurrent classifier learns in a few dozen steps.</summary>
internal static class LearnableTasks
{
    /// <summary>4x4 images whose class is the row holding the brightest pixel (4 classes).</summary>
    public static SequenceDataset BrightestRow(int count, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var labels = randint(0, 4, [count], ScalarType.Int64, generator: generator);
        var images = rand([count, 4, 4], generator: generator).mul_(0.5);
        images.index_put_(ones(count), arange(count), labels, randint(0, 4, [count], ScalarType.Int64, generator: generator));
        return Owned(images, labels, classes: 4);
    }

    /// <summary>96 images of 5x4 whose class is whether their overall brightness exceeds 10 (2 classes).</summary>
    public static SequenceDataset Brightness(long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var images = rand([96, 5, 4], generator: generator);
        var labels = images.sum([1, 2]).gt(10).to(ScalarType.Int64);
        return Owned(images, labels, classes: 2);
    }

    // A dataset that owns tensors made in the caller's dispose scope.
    private static SequenceDataset Owned(Tensor sequences, Tensor labels, int classes) =>
        new(sequences.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), classes);

    /// <summary>
    /// Sequences of 4 to 16 steps of 2 features, padded to 16 with fives; the class (one of 4) is the sign pattern of the
    /// first step, so a model must remember it to each sequence's own end, and reading the padding would only hurt.
    /// </summary>
    public static SequenceDataset FirstStepOfVariableLength(int count, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var labels = randint(0, 4, [count], ScalarType.Int64, generator: generator);
        var sequences = randn([count, 16, 2], generator: generator).mul_(0.3);
        var signs = stack([labels.remainder(2), labels.div(2, rounding_mode: RoundingMode.floor)], 1).to(ScalarType.Float32).mul(2).sub(1);
        sequences.select(1, 0).copy_(signs);
        var lengths = randint(4, 17, [count], ScalarType.Int64, generator: generator);
        var padding = arange(16).unsqueeze(0).ge(lengths.unsqueeze(1)).unsqueeze(2);
        sequences.masked_fill_(padding, 5);
        var dataset = new SequenceDataset(sequences, labels, 4, lengths);
        foreach (var tensor in new[] { sequences, labels, lengths }) tensor.DetachFromDisposeScope();
        return dataset;
    }
}
