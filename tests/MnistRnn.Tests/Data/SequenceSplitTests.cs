using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Data;

/// <summary>A dataset splits into seeded, disjoint halves that own their tensors, optionally keeping each class's share.</summary>
[Category("Unit")]
public sealed class SequenceSplitTests
{
    // Sequence i holds the number i in every value, so each half can say which items it got; class i % 4, or 0 for the first 70.
    private static SequenceDataset Tagged(int count, bool skewed = false)
    {
        using var scope = NewDisposeScope();
        var values = arange(count, ScalarType.Float32).reshape(count, 1, 1).expand(count, 3, 2).contiguous();
        var labels = tensor(Enumerable.Range(0, count).Select(i => skewed ? (i < 70 ? 0L : 1 + i % 3) : i % 4).ToArray());
        var lengths = tensor(Enumerable.Range(0, count).Select(i => 1L + i % 3).ToArray());
        return new SequenceDataset(values.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), 4, lengths.MoveToOuterDisposeScope());
    }

    private static long[] Items(SequenceDataset data) => data.Sequences.select(1, 0).select(1, 0).to(ScalarType.Int64).data<long>().ToArray();

    [Test]
    public void The_halves_are_disjoint_complete_seeded_and_their_own()
    {
        var data = Tagged(100);
        var (rest, held) = data.HoldOut(20, seed: 3);
        var (_, again) = data.HoldOut(20, seed: 3);
        var (_, other) = data.HoldOut(20, seed: 4);
        long[] restItems = Items(rest), heldItems = Items(held);

        Assert.That(heldItems, Has.Length.EqualTo(20));
        Assert.That(restItems.Intersect(heldItems), Is.Empty);
        Assert.That(restItems.Concat(heldItems).Order(), Is.EqualTo(Enumerable.Range(0, 100).Select(i => (long)i)));
        Assert.That(heldItems, Is.Ordered, "each half keeps the dataset's order");
        Assert.That(Items(again), Is.EqualTo(heldItems));
        Assert.That(Items(other), Is.Not.EqualTo(heldItems));
        Assert.That(held.Lengths!.data<long>().ToArray(), Is.EqualTo(heldItems.Select(i => 1 + i % 3)), "lengths travel with their sequences");
        data.Dispose();
        Assert.That(rest.Count + held.Count, Is.EqualTo(100), "usable after the original is disposed");
        Assert.That(held.Labels.data<long>().ToArray(), Is.EqualTo(heldItems.Select(i => i % 4)));
        rest.Dispose();
        held.Dispose();
        again.Dispose();
        other.Dispose();
    }

    [Test]
    public void A_stratified_split_keeps_each_class_share()
    {
        using var data = Tagged(100, skewed: true); // class 0: 70 items; classes 1 to 3: 10 each
        var (rest, held) = data.HoldOut(0.2, seed: 1, stratify: true);
        using (rest)
        using (held)
        {
            var counts = held.Labels.data<long>().ToArray().GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
            Assert.That(counts, Is.EqualTo(new Dictionary<long, int> { [0] = 14, [1] = 2, [2] = 2, [3] = 2 }));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => data.HoldOut(100, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.HoldOut(1.0, seed: 1));
    }

    [Test]
    public void Unlabelled_sequences_are_predicted_as_a_dataset_of_them_is()
    {
        using var data = Tagged(12);
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Gru, Steps = 3, BatchSize = 4, HiddenSize = 4, StallWindow = 0 });
        using var model = trainer.CreateModel(data);
        trainer.Train(model, data);
        using var sequences = data.Sequences.clone();
        using var lengths = data.Lengths!.clone();

        var fromTensors = ModelEvaluation.Predict(model, sequences, lengths);
        var fromDataset = ModelEvaluation.Predict(model, data);

        Assert.That(fromTensors.Select(p => p.Probabilities), Is.EqualTo(fromDataset.Select(p => p.Probabilities)));
        var error = Assert.Throws<ArgumentException>(() => ModelEvaluation.Predict(model, sequences.select(2, 0)))!;
        Assert.That(error.Message, Does.StartWith("sequences must have shape (count, steps, features), got (12, 3)"));
    }
}
