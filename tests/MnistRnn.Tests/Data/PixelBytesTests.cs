using MnistRnn.Data;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Data;

/// <summary>Images kept as bytes are the same data as their float32 copy: same batches, same fingerprint, same copy on demand.</summary>
[Category("Unit")]
public sealed class PixelBytesTests
{
    private static (DatasetSplit Bytes, DatasetSplit Floats) Both(int count = 40)
    {
        using var generator = new Generator(3);
        var pixels = randint(0, 256, [count, 4, 5], generator: generator, dtype: ScalarType.Byte);
        var labels = arange(count, ScalarType.Int64).remainder(10);
        return (new DatasetSplit(pixels, labels), new DatasetSplit(pixels.to(ScalarType.Float32).div(255f), labels.clone()));
    }

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [TestCase(SequenceOrder.Rows)]
    [TestCase(SequenceOrder.Pixels)]
    [TestCase(SequenceOrder.Permuted)]
    public void Batches_read_from_bytes_hold_the_float32_values_bit_for_bit(SequenceOrder order)
    {
        var (bytes, floats) = Both();
        using (bytes)
        using (floats)
        using (var fromBytes = bytes.ToSequences(order, 10))
        using (var fromFloats = floats.ToSequences(order, 10))
        using (var batchesOfBytes = new ShuffledBatches(fromBytes, 8, seed: 5))
        using (var batchesOfFloats = new ShuffledBatches(fromFloats, 8, seed: 5))
        {
            using var scope = NewDisposeScope();
            for (int i = 0; i < 6; i++)
            {
                var (a, labelsA, _) = batchesOfBytes.Next();
                var (b, labelsB, _) = batchesOfFloats.Next();
                Assert.That(Same(a, b) && Same(labelsA, labelsB), $"batch {i}");
            }
            Assert.That(Same(fromBytes.Narrow(3, 7), fromFloats.Narrow(3, 7)));
            Assert.That(fromBytes.Identity(), Is.EqualTo(fromFloats.Identity()), "a checkpoint's fingerprint does not depend on how images are kept");
        }
    }

    [Test]
    public void A_split_of_bytes_has_the_fingerprint_of_its_float32_images()
    {
        var (bytes, floats) = Both();
        using (bytes)
        using (floats)
            Assert.That(bytes.Identity(), Is.EqualTo(floats.Identity()));
    }

    [Test]
    public void Reading_the_images_makes_one_float32_copy_that_outlives_the_callers_scope()
    {
        var (bytes, floats) = Both();
        using (bytes)
        using (floats)
        {
            Tensor first;
            using (NewDisposeScope()) first = bytes.Images;

            Assert.That(Same(first, floats.Images), "the copy is still usable after the scope it was first read in");
            Assert.That(ReferenceEquals(bytes.Images, first), "made once");
        }
    }

    [Test]
    public void A_split_takes_bytes_or_float32_and_names_any_other_type()
    {
        using var images = zeros([2, 3, 3], ScalarType.Float64);
        using var labels = zeros([2], ScalarType.Int64);

        var error = Assert.Throws<ArgumentException>(() => new DatasetSplit(images, labels))!;

        Assert.That(error.Message, Is.EqualTo("images must be bytes (0 to 255) or float32 (0 to 1), got Float64."));
    }

    [Test]
    public void Sequences_of_bytes_are_accepted_only_from_images()
    {
        using var sequences = zeros([2, 3, 3], ScalarType.Byte);
        using var labels = zeros([2], ScalarType.Int64);

        var error = Assert.Throws<ArgumentException>(() => new SequenceDataset(sequences, labels, 2))!;

        Assert.That(error.Message, Does.StartWith("sequences must be float32, got Byte"));
    }
}
