using MnistRnn.Data;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Data;

[Category("Unit")]
public sealed class SequenceLayoutTests
{
    [Test]
    public void Rows_are_the_images_themselves()
    {
        using var layout = new SequenceLayout(SequenceOrder.Rows, 4, 3);
        using var scope = NewDisposeScope();
        var images = rand(2, 4, 3);

        var sequences = layout.Arrange(images);

        Assert.That((layout.Steps, layout.Features), Is.EqualTo((4, 3)));
        Assert.That(sequences.eq(images).all().item<bool>(), Is.True);
    }

    [Test]
    public void Pixels_are_read_one_per_step_in_reading_order()
    {
        using var layout = new SequenceLayout(SequenceOrder.Pixels, 4, 3);
        using var scope = NewDisposeScope();
        var images = arange(24, dtype: ScalarType.Float32).reshape(2, 4, 3);

        var sequences = layout.Arrange(images);

        Assert.That((layout.Steps, layout.Features), Is.EqualTo((12, 1)));
        Assert.That(sequences.shape, Is.EqualTo(new long[] { 2, 12, 1 }));
        Assert.That(sequences[1, 5, 0].item<float>(), Is.EqualTo(17f)); // second image, row 1, column 2
    }

    [Test]
    public void Permuted_pixels_are_a_fixed_shuffle_of_every_pixel()
    {
        using var first = new SequenceLayout(SequenceOrder.Permuted, 28, 28);
        using var second = new SequenceLayout(SequenceOrder.Permuted, 28, 28);
        using var scope = NewDisposeScope();
        var images = arange(784, dtype: ScalarType.Float32).reshape(1, 28, 28);

        var sequence = first.Arrange(images).flatten();

        Assert.That(sequence.eq(second.Arrange(images).flatten()).all().item<bool>(), Is.True, "the same permutation every time");
        Assert.That(sequence.sort().Values.eq(arange(784, dtype: ScalarType.Float32)).all().item<bool>(), Is.True, "every pixel exactly once");
        Assert.That(sequence.eq(arange(784, dtype: ScalarType.Float32)).all().item<bool>(), Is.False, "not reading order");
    }

    [Test]
    public void Refuses_images_of_another_size()
    {
        using var layout = new SequenceLayout(SequenceOrder.Pixels, 28, 28);
        using var images = rand(2, 27, 28);

        var error = Assert.Throws<ArgumentException>(() => layout.Arrange(images))!;

        Assert.That(error.Message, Does.Contain("(batch, 28, 28)"));
    }

    [TestCase("rows", SequenceOrder.Rows)]
    [TestCase("Pixels", SequenceOrder.Pixels)]
    [TestCase("PERMUTED", SequenceOrder.Permuted)]
    public void Order_names_parse(string name, SequenceOrder order)
    {
        Assert.That(SequenceOrderNames.TryParse(name, out var parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(order));
        Assert.That(SequenceOrderNames.TryParse("columns", out _), Is.False);
    }
}
