using System.Diagnostics;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Bench;

/// <summary>
/// Where a training step's time goes: the operations of the trainer's step (as in <c>TrainingStep</c>)
/// replayed one by one with a stopwatch between them. Every operation runs to completion before the
/// next starts on the CPU, so the split is exact there; on a GPU the profile waits for the device after each
/// operation, so it shows the synchronous step's costs, round trips included.
/// </summary>
internal static class StepProfile
{
    public static readonly IReadOnlyList<string> Operations =
        ["batch gather", "zero gradients", "forward", "loss", "backward", "clipping", "loss read-back", "adam", "accuracy"];

    /// <summary>Mean milliseconds per operation over <paramref name="steps"/> steps after <paramref name="warmup"/>.</summary>
    public static double[] Measure(MnistDataset dataset, Device device, CellKind cell, int batch, int warmup = 100, int steps = 400)
    {
        random.manual_seed(1);
        using var model = new RecurrentClassifier(cell, dataset.Columns, 128, dataset.Classes);
        model.to(device);
        using var optimizer = new AdamOptimizer(model.parameters(), 0.01);
        using var train = dataset.Train.ToSequences(SequenceOrder.Rows, dataset.Classes);
        using var batches = new ShuffledBatches(train, batch, seed: 1);
        var totals = new double[Operations.Count];
        var clock = new Stopwatch();
        for (int step = 1; step <= warmup + steps; step++)
        {
            using var scope = NewDisposeScope();
            int operation = 0;
            void Lap()
            {
                if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(device);
                if (step > warmup) totals[operation] += clock.Elapsed.TotalMilliseconds;
                operation++;
                clock.Restart();
            }
            clock.Restart();
            var (sequences, labels, _) = batches.Next(); Lap();
            optimizer.ZeroGrad(); Lap();
            var (logits, _) = model.ForwardWithOutputs(sequences); Lap();
            var loss = nn.functional.cross_entropy(logits, labels); Lap();
            loss.backward(); Lap();
            GradientClipping.Apply(optimizer.Parameters, TrainingOptions.DefaultClipNorm, null); Lap();
            loss.item<float>(); Lap();
            optimizer.Step(); Lap();
            using (no_grad()) logits.argmax(1).eq(labels).to(ScalarType.Float32).mean().item<float>();
            Lap();
        }
        return totals.Select(t => t / steps).ToArray();
    }
}
