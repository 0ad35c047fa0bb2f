using MnistRnn.Diagnostics;
using MnistRnn.Models;

namespace MnistRnn.Training;

/// <summary>What one training step measured, on its training batch.</summary>
/// <param name="Step">1-based step number.</param>
/// <param name="Epoch">Completed passes over the training set before this batch.</param>
/// <param name="Loss">Mean cross-entropy of the batch, before the update.</param>
/// <param name="Accuracy">Fraction of the batch classified correctly, before the update.</param>
/// <param name="Cell">The recurrent cell being trained.</param>
/// <param name="GradNorm">Global L2 norm of all gradients, before clipping (infinite or NaN when they were).</param>
/// <param name="Clipped">True when norm clipping rescaled the gradients.</param>
/// <param name="Elapsed">Training time since the first step began.</param>
/// <param name="State">
/// Weights after the update and activations of this step's forward pass, measured only on logged steps (see
/// <see cref="TrainingOptions.LogCadence"/>) because the gate saturation of an LSTM or GRU costs about
/// a forward pass; null on other steps.
/// </param>
/// <param name="UpdateSkipped">True when the loss or gradient was not finite, so the optimizer step was skipped.</param>
public sealed record StepMetrics(
    int Step,
    int Epoch,
    double Loss,
    double Accuracy,
    CellKind Cell,
    double GradNorm,
    bool Clipped,
    TimeSpan Elapsed,
    StateStatistics? State,
    bool UpdateSkipped = false)
{
    /// <summary>The learning rate this step's update used (with several parameter groups, the first group's).</summary>
    public double LearningRate { get; init; } = double.NaN;
}
