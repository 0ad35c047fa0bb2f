using MnistRnn.Data;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Data;

[Category("Unit")]
public sealed class ShuffledBatchesTests
{
    private static SequenceDataset Split(int count) =>
        new(arange(count, ScalarType.Float32).reshape(count, 1, 1), arange(count, ScalarType.Int64), classes: count);

    private static List<long> Epochs(SequenceDataset split, int batchSize, long seed, int batchCount)
    {
        using var batches = new ShuffledBatches(split, batchSize, seed);
        var seen = new List<long>();
        for (int i = 0; i < batchCount; i++)
        {
            var (_, labels, _) = batches.Next();
            seen.AddRange(labels.data<long>().ToArray());
        }
        return seen;
    }

    [Test]
    public void Each_epoch_visits_every_item_once()
    {
        using var split = Split(12);

        var seen = Epochs(split, batchSize: 4, seed: 3, batchCount: 6);

        Assert.That(seen.Take(12).Order(), Is.EqualTo(Enumerable.Range(0, 12).Select(i => (long)i)));
        Assert.That(seen.Skip(12).Order(), Is.EqualTo(Enumerable.Range(0, 12).Select(i => (long)i)));
        Assert.That(seen.Take(12), Is.Not.EqualTo(seen.Skip(12)), "each epoch draws a new order");
    }

    [Test]
    public void The_same_seed_gives_the_same_batches_and_another_seed_does_not()
    {
        using var split = Split(50);

        Assert.That(Epochs(split, 10, 7, 5), Is.EqualTo(Epochs(split, 10, 7, 5)));
        Assert.That(Epochs(split, 10, 7, 5), Is.Not.EqualTo(Epochs(split, 10, 8, 5)));
    }

    [Test]
    public void A_partial_last_batch_is_dropped_and_the_epoch_counted()
    {
        using var split = Split(10);
        using var batches = new ShuffledBatches(split, 4, seed: 1);

        batches.Next();
        batches.Next();
        Assert.That(batches.Epoch, Is.EqualTo(0));
        var (sequences, _, _) = batches.Next();

        Assert.That(sequences.shape[0], Is.EqualTo(4));
        Assert.That(batches.Epoch, Is.EqualTo(1));
    }

    [Test]
    public void Refuses_a_batch_larger_than_the_split()
    {
        using var split = Split(10);

        Assert.Throws<ArgumentOutOfRangeException>(() => new ShuffledBatches(split, 11, seed: 1));
    }
}
