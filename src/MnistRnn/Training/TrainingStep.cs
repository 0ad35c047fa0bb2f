using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// One optimizer step: forward, loss, backward (over <see cref="TrainingOptions.AccumulateBatches"/> mini-batches, summing
/// their gradients), clip, update (unless anything is non-finite), measure.
/// </summary>
internal static class TrainingStep
{
    /// <summary>
    /// Runs one step; with <paramref name="measureState"/> (on logged steps) it also measures
    /// <see cref="StateStatistics"/>. Call inside a dispose scope: every tensor made here belongs to it.
    /// </summary>
    public static StepMetrics Run(RecurrentClassifier model, AdamOptimizer optimizer, ShuffledBatches batches,
        TrainingOptions options, int step, bool measureState, TrainingClock clock, IStepPrecision precision)
    {
        var (epoch, sequences, labels, logits, outputs, loss) = ForwardAndBackward(model, optimizer, batches, options.AccumulateBatches, precision);
        var (gradNorm, clipped) = GradientClipping.Apply(optimizer.Parameters, options.ClipNorm, options.ClipValue);
        double lossValue = loss.item<float>();
        // A NaN or infinite loss or gradient would poison every weight and Adam's moments for good: skip it.
        bool skip = !double.IsFinite(lossValue) || !double.IsFinite(gradNorm);
        if (!skip) optimizer.Step();

        using var noGrad = no_grad();
        double accuracy = logits.argmax(1).eq(labels).to(ScalarType.Float32).mean().item<float>();
        return new StepMetrics(
            step,
            epoch,
            lossValue,
            accuracy,
            model.Cell,
            gradNorm,
            clipped,
            clock.Elapsed,
            measureState ? StateStatistics.Measure(model, sequences, Float32(outputs)) : null,
            skip) { LearningRate = optimizer.LearningRate };
    }

    /// <summary>
    /// The same step under <see cref="StepExecution.DeviceResident"/>: nothing waits for the device. Whether the update
    /// applies is decided on the device, and returned there (a boolean the step's dispose scope holds); the step's figures
    /// join <paramref name="pending"/> until read back.
    /// </summary>
    public static Tensor RunOnDevice(RecurrentClassifier model, AdamOptimizer optimizer, ShuffledBatches batches,
        TrainingOptions options, int step, bool measureState, TrainingClock clock, PendingMetrics pending, IStepPrecision precision)
    {
        var (epoch, sequences, labels, logits, outputs, loss) = ForwardAndBackward(model, optimizer, batches, options.AccumulateBatches, precision);
        var (gradNorm, clipped) = GradientClipping.ApplyOnDevice(optimizer.FlatGradients!, options.ClipNorm, options.ClipValue);

        using var noGrad = no_grad();
        var finite = loss.isfinite().logical_and_(gradNorm.isfinite());
        optimizer.Step(finite);
        var accuracy = logits.argmax(1).eq(labels).to(ScalarType.Float32).mean();
        pending.Add(step, epoch, clock.Elapsed, optimizer.LearningRate, loss.detach(), accuracy, gradNorm, clipped, finite,
            measureState ? StateStatistics.Measure(model, sequences, Float32(outputs)) : null);
        return finite;
    }

    // The part both modes share: zeroed gradients, then for each mini-batch of the step the next batch, forward, loss and
    // backward. Accumulated, each batch's loss is divided by their number, so the summed gradient is that of their mean, the
    // loss of one batch that many times as large; the step's loss, logits and labels are then those of all its batches.
    // The passes run on the network the precision gives, the loss is taken in float32, and the gradients end on the model's weights.
    private static (int Epoch, Tensor Sequences, Tensor Labels, Tensor Logits, Tensor Outputs, Tensor Loss) ForwardAndBackward(
        RecurrentClassifier model, AdamOptimizer optimizer, ShuffledBatches batches, int accumulate, IStepPrecision precision)
    {
        int epoch = batches.Epoch;
        optimizer.ZeroGrad();
        var network = precision.Begin(model);
        var parts = new List<(Tensor Sequences, Tensor Labels, Tensor Logits, Tensor Outputs, Tensor Loss)>();
        for (int i = 0; i < accumulate; i++)
        {
            var (sequences, labels, lengths) = batches.Next();
            var (logits, outputs) = network.ForwardWithOutputs(precision.Input(sequences), lengths);
            logits = precision.Logits(logits);
            var loss = nn.functional.cross_entropy(logits, labels);
            if (accumulate > 1) loss = loss.div_(accumulate);
            loss.backward();
            parts.Add((sequences, labels, logits, outputs, loss));
        }
        precision.End(model);
        if (accumulate == 1) return (epoch, parts[0].Sequences, parts[0].Labels, parts[0].Logits, parts[0].Outputs, parts[0].Loss);
        // Only the last batch's activations are kept, for the state a logged step measures.
        var last = parts[^1];
        using var noGrad = no_grad();
        return (epoch, last.Sequences, cat(parts.Select(p => p.Labels).ToList()), cat(parts.Select(p => p.Logits.detach()).ToList()), last.Outputs,
            stack(parts.Select(p => p.Loss.detach()).ToList()).sum());
    }

    // The outputs of a bf16-mixed step, for the statistics; a float32 step's as they are.
    private static Tensor Float32(Tensor outputs) => outputs.dtype == ScalarType.Float32 ? outputs : outputs.to(ScalarType.Float32);
}
