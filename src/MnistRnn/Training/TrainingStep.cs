using System.Diagnostics;
using MnistRnn.Data;
using MnistRnn.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>One optimizer step: forward, loss, backward, clip, update, measure.</summary>
internal static class TrainingStep
{
    /// <summary>Runs one step. Call inside a dispose scope: every tensor made here belongs to it.</summary>
    public static StepMetrics Run(RecurrentClassifier model, AdamOptimizer optimizer, ShuffledBatches batches,
        TrainingOptions options, int step, Stopwatch clock)
    {
        int epoch = batches.Epoch;
        var (images, labels) = batches.Next();
        optimizer.ZeroGrad();
        var (logits, lastOutput) = model.ForwardWithLastOutput(images);
        var loss = nn.functional.cross_entropy(logits, labels);
        loss.backward();
        var (gradNorm, clipped) = GradientClipping.Apply(optimizer.Parameters, options.ClipNorm, options.ClipValue);
        optimizer.Step();

        using var noGrad = no_grad();
        double accuracy = logits.argmax(1).eq(labels).to(ScalarType.Float32).mean().item<float>();
        return new StepMetrics(
            step,
            epoch,
            loss.item<float>(),
            accuracy,
            model.Kind,
            WeightMean(model.RecurrentWeights),
            lastOutput.mean().item<float>(),
            gradNorm,
            clipped,
            clock.Elapsed);
    }

    private static double WeightMean(IReadOnlyList<Parameter> weights)
    {
        double sum = 0;
        long count = 0;
        foreach (var weight in weights)
        {
            sum += weight.sum().item<float>();
            count += weight.numel();
        }
        return sum / count;
    }
}
