using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.NUnit;
using MnistRnn.Studies;
using MnistRnn.Training;
using NUnit.Framework;

namespace MnistRnn.RegressionSample;

public sealed class GruRegressionTests
{
    // Three classes of noisy waves, 30 steps of one feature: which of three frequencies the sequence oscillates at.
    private static SequenceDataset Waves(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count, 30, 1];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(3);
            double frequency = 1 + labels[i], phase = random.NextDouble() * 2 * Math.PI;
            for (int t = 0; t < 30; t++)
                values[i, t, 0] = (float)(Math.Sin(2 * Math.PI * frequency * t / 30 + phase) + 2.5 * (random.NextDouble() - 0.5));
        }
        return SequenceDataset.FromArrays(values, labels, classes: 3);
    }

    private static double TestAccuracy(long seed)
    {
        // The data stay the same; the seed decides the initial weights and the batch order.
        using var train = Waves(2000, seed: 100);
        using var test = Waves(1000, seed: 200);
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Gru, HiddenSize = 16, BatchSize = 50, Steps = 200, Seed = seed });
        using var model = trainer.CreateModel(train);
        trainer.Train(model, train);
        return ModelEvaluation.Evaluate(model, test).Accuracy;
    }

    [Test]
    public void The_gru_classifies_waves_as_well_as_its_baseline()
    {
        // One thread for every seed, whatever the machine's load: another thread count rounds differently.
        var accuracy = SeedStudy.Run(TestAccuracy, seeds: [1, 2, 3], threads: 1);

        Assert.That(accuracy, Matches.Baseline("gru-waves"));
    }
}
