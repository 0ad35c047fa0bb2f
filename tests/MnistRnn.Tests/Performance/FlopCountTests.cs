using MnistRnn.Models;
using MnistRnn.Runner.Bench;

namespace MnistRnn.Tests.Performance;

[Category("Unit")]
public sealed class FlopCountTests
{
    [Test]
    public void The_experiments_lstm_costs_what_its_matrix_products_do()
    {
        // Per step: (100x28)·(28x512) and (100x128)·(128x512) for a batch of 100; per sequence 2·512·(28+128).
        double perStep = 2.0 * 512 * (28 + 128);
        double classifier = 2.0 * 128 * 10;

        Assert.That(FlopCount.Forward(CellKind.Lstm, 28, 128, 10, 28), Is.EqualTo(28 * perStep + classifier));
        Assert.That(FlopCount.Training(CellKind.Lstm, 28, 128, 10, 28), Is.EqualTo(3 * (28 * perStep + classifier)));
    }

    [TestCase(CellKind.Rnn, 1)]
    [TestCase(CellKind.Irnn, 1)]
    [TestCase(CellKind.Gru, 3)]
    [TestCase(CellKind.Lstm, 4)]
    public void Gate_blocks_match_the_weight_matrices(CellKind kind, int gates)
    {
        using var model = new RecurrentClassifier(kind, inputSize: 5, hiddenSize: 7, classes: 10);

        Assert.That(FlopCount.Gates(kind), Is.EqualTo(gates));
        Assert.That(model.RecurrentWeights[1].shape, Is.EqualTo(new long[] { gates * 7, 7 }));
    }
}
