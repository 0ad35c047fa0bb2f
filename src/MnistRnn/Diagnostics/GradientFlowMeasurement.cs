namespace MnistRnn.Diagnostics;

/// <summary><see cref="GradientFlow"/> measured after a training step.</summary>
/// <param name="Step">Steps completed when measured; 0 is before the first update.</param>
/// <param name="Norms">Mean ||dLoss/dh_t|| over the probe batch for t = 1..sequence length (index 0 is t = 1).</param>
public sealed record GradientFlowMeasurement(int Step, IReadOnlyList<double> Norms);
