using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Diagnostics;

/// <summary>A snapshot of a recurrent layer's weights and activations on one batch.</summary>
/// <param name="WeightMean">Mean of every element of the recurrent weight matrices (input-to-hidden and hidden-to-hidden, no biases).</param>
/// <param name="WeightStd">Their standard deviation.</param>
/// <param name="OutputMean">Mean of the last step's output (the final hidden state) over the batch.</param>
/// <param name="OutputStd">Its standard deviation.</param>
/// <param name="Saturation">Fraction of flat nonlinearities; see <see cref="Diagnostics.Saturation"/>.</param>
public sealed record StateStatistics(double WeightMean, double WeightStd, double OutputMean, double OutputStd, double Saturation)
{
    /// <summary>Measures <paramref name="model"/> on the batch <paramref name="input"/> that produced <paramref name="outputs"/>.</summary>
    public static StateStatistics Measure(RecurrentClassifier model, Tensor input, Tensor outputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var weights = cat(model.RecurrentWeights.Select(w => w.flatten()).ToArray());
        var last = outputs.select(1, -1);
        return new StateStatistics(
            weights.mean().item<float>(),
            weights.std().item<float>(),
            last.mean().item<float>(),
            last.std().item<float>(),
            Diagnostics.Saturation.Measure(model, input, outputs));
    }
}
