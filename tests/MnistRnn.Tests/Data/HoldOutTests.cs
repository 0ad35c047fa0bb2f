using MnistRnn.Data;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Data;

[Category("Unit")]
public sealed class HoldOutTests
{
    // Item i's first pixel is i, so each half says which items it holds.
    private static DatasetSplit Tagged(int count)
    {
        var images = zeros(count, 2, 3);
        images.select(1, 0).select(1, 0).copy_(arange(count, ScalarType.Float32));
        return new DatasetSplit(images, arange(count, ScalarType.Int64).remainder(10));
    }

    private static long[] Items(DatasetSplit split) => split.Images.select(1, 0).select(1, 0).to(ScalarType.Int64).data<long>().ToArray();

    [Test]
    public void The_held_out_items_and_the_rest_are_disjoint_and_together_all_items()
    {
        using var all = Tagged(1000);
        var (rest, held) = all.HoldOut(150, seed: 4);
        using (rest)
        using (held)
        {
            long[] restItems = Items(rest), heldItems = Items(held);
            Assert.That(heldItems, Has.Length.EqualTo(150));
            Assert.That(restItems.Intersect(heldItems), Is.Empty);
            Assert.That(restItems.Concat(heldItems).Order(), Is.EqualTo(Enumerable.Range(0, 1000).Select(i => (long)i)));
            Assert.That(restItems, Is.Ordered, "the rest keeps the split's order");
            // Labels travel with their images.
            Assert.That(held.Labels.data<long>().ToArray(), Is.EqualTo(heldItems.Select(i => i % 10)));
        }
    }

    [Test]
    public void The_same_seed_holds_out_the_same_items_and_another_seed_others()
    {
        using var all = Tagged(500);
        long[] HeldWith(long seed)
        {
            var (rest, held) = all.HoldOut(50, seed);
            using (rest)
            using (held) return Items(held);
        }

        Assert.That(HeldWith(1), Is.EqualTo(HeldWith(1)));
        Assert.That(HeldWith(2), Is.Not.EqualTo(HeldWith(1)));
    }

    [TestCase(0)]
    [TestCase(10)]
    public void Holding_out_nothing_or_everything_is_refused(int count)
    {
        using var all = Tagged(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => all.HoldOut(count, seed: 1));
    }
}
