using System.Diagnostics;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Performance;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Bench;

/// <summary>
/// Where a training step's time goes: the operations of the trainer's step (as in <c>TrainingStep</c>)
/// replayed one by one with a stopwatch between them. Every operation runs to completion before the
/// next starts on the CPU, so the split is exact there; on a GPU the profile waits for the device after each
/// operation, so it shows the synchronous step's costs, round trips included. In bf16-mixed the step has two
/// operations more: the bfloat16 copy of the weights before the forward pass, and the gradients' way back to float32.
/// </summary>
internal static class StepProfile
{
    public static IReadOnlyList<string> Operations(Precision precision) => precision == Precision.Bf16Mixed
        ? ["batch gather", "zero gradients", "bf16 weights", "forward", "loss", "backward", "float32 gradients", "clipping", "loss read-back", "adam", "accuracy"]
        : ["batch gather", "zero gradients", "forward", "loss", "backward", "clipping", "loss read-back", "adam", "accuracy"];

    /// <summary>Mean milliseconds per operation over <paramref name="steps"/> steps after <paramref name="warmup"/>, in <see cref="Operations"/>' order.</summary>
    public static double[] Measure(MnistDataset dataset, Device device, CellKind cell, int batch, Precision precision, int warmup = 100, int steps = 400)
    {
        var totals = new double[Operations(precision).Count];
        var clock = new Stopwatch();
        int step = 0, operation = 0;
        void Lap()
        {
            if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(device);
            if (step > warmup) totals[operation] += clock.Elapsed.TotalMilliseconds;
            operation++;
            clock.Restart();
        }
        Replay(dataset, device, cell, batch, precision, warmup + steps, s => { step = s; operation = 0; clock.Restart(); }, Lap, afterForward: null);
        return totals.Select(t => t / steps).ToArray();
    }

    /// <summary>
    /// The native memory a step holds from the end of its forward pass to its backward pass, above what it held before
    /// (the activations the backward pass needs, the logits and loss), in MB; null on a GPU, or where glibc cannot be asked
    /// or runs more than one arena (<c>--allocator system</c>), so the figure would miss allocations.
    /// </summary>
    public static double? HeldForBackwardMb(MnistDataset dataset, Device device, CellKind cell, int batch, Precision precision)
    {
        if (device.type != TorchSharp.DeviceType.CPU || AllocatorOption.InEffect != "tuned" || NativeMemory.InUseBytes() is null) return null;
        long before = 0, largest = 0;
        Replay(dataset, device, cell, batch, precision, steps: 3, startStep: _ => before = NativeMemory.InUseBytes()!.Value, lap: () => { },
            afterForward: () => largest = Math.Max(largest, NativeMemory.InUseBytes()!.Value - before));
        return Math.Round(largest / 1048576.0, 1);
    }

    // The trainer's step, with a hook after each operation and one after the loss (the forward pass's end).
    private static void Replay(MnistDataset dataset, Device device, CellKind cell, int batch, Precision precision, int steps,
        Action<int> startStep, Action lap, Action? afterForward)
    {
        random.manual_seed(1);
        using var model = new RecurrentClassifier(cell, dataset.Columns, 128, dataset.Classes);
        model.to(device);
        using var optimizer = new AdamOptimizer(model.parameters(), 0.01);
        using var bf16 = precision == Precision.Bf16Mixed ? new BFloat16Compute(model) : null;
        using var train = dataset.Train.ToSequences(SequenceOrder.Rows, dataset.Classes);
        using var batches = new ShuffledBatches(train, batch, seed: 1);
        for (int step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            startStep(step);
            var (sequences, labels, _) = batches.Next(); lap();
            optimizer.ZeroGrad(); lap();
            var network = model;
            if (bf16 is not null)
            {
                network = bf16.Begin(training: true);
                sequences = sequences.to(ScalarType.BFloat16);
                lap();
            }
            var logits = network.forward(sequences); lap();
            var loss = nn.functional.cross_entropy(bf16 is null ? logits : logits.to(ScalarType.Float32), labels); lap();
            afterForward?.Invoke();
            loss.backward(); lap();
            if (bf16 is not null) { bf16.End(); lap(); }
            GradientClipping.Apply(optimizer.Parameters, TrainingOptions.DefaultClipNorm, null); lap();
            loss.item<float>(); lap();
            optimizer.Step(); lap();
            using (no_grad()) logits.argmax(1).eq(labels).to(ScalarType.Float32).mean().item<float>();
            lap();
        }
    }
}
