using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Diagnostics;

/// <summary>
/// How much gradient reaches each time step: for a probe batch, the norm of dLoss/dh_t for every
/// step t. It is the classic vanishing-gradient curve: roughly flat for an LSTM, collapsing by
/// orders of magnitude toward the early steps for a saturated tanh RNN, whose early inputs then
/// cannot influence learning.
/// </summary>
public static class GradientFlow
{
    /// <summary>
    /// The mean over the probe batch of each sequence's ||dLoss/dh_t||, for t = 1..steps. The model's
    /// parameter gradients are left untouched, so this may run between training steps.
    /// </summary>
    /// <param name="model">The classifier to probe.</param>
    /// <param name="input">Probe sequences, (batch, steps, features).</param>
    /// <param name="labels">Their labels, (batch).</param>
    public static double[] Measure(RecurrentClassifier model, Tensor input, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var enableGrad = enable_grad();
        var (logits, hidden) = model.Unroll(input);
        // Summed, not averaged, so each sequence's gradient is its own loss's, independent of batch size.
        var loss = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum);
        // autograd.grad returns the gradients instead of accumulating them into the parameters' .grad.
        var gradients = autograd.grad([loss], hidden.ToList());
        var norms = new double[hidden.Count];
        for (int t = 0; t < hidden.Count; t++)
            norms[t] = gradients[t].squeeze(0).norm(1).mean().item<float>(); // (batch, hidden): one norm per sequence
        return norms;
    }
}
