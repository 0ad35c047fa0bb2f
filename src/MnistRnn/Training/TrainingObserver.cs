using MnistRnn.Diagnostics;

namespace MnistRnn.Training;

/// <summary>
/// A <see cref="TrainingCallback"/> made of delegates, for observing training without writing a class:
/// <c>new Trainer(options) { Callbacks = [new TrainingObserver { StepCompleted = m =&gt; Console.WriteLine(m.Loss) }] }</c>.
/// </summary>
public sealed class TrainingObserver : TrainingCallback
{
    /// <summary>Called with each step's figures (see <see cref="TrainingCallback.OnStepReported"/>).</summary>
    public Action<StepMetrics>? StepCompleted { get; init; }

    /// <summary>Called with each validation (see <see cref="TrainingCallback.OnValidationEnd"/>).</summary>
    public Action<ValidationRecord>? ValidationCompleted { get; init; }

    /// <summary>Called with each gradient-flow measurement (see <see cref="TrainingCallback.OnGradientFlow"/>).</summary>
    public Action<GradientFlowMeasurement>? GradientFlowMeasured { get; init; }

    /// <summary>Called when training stalls (see <see cref="TrainingCallback.OnStall"/>).</summary>
    public Action<Stall>? StallDetected { get; init; }

    /// <inheritdoc/>
    public override void OnStepReported(TrainingContext context, StepMetrics metrics) => StepCompleted?.Invoke(metrics);

    /// <inheritdoc/>
    public override void OnValidationEnd(TrainingContext context, ValidationRecord validation) => ValidationCompleted?.Invoke(validation);

    /// <inheritdoc/>
    public override void OnGradientFlow(TrainingContext context, GradientFlowMeasurement measurement) => GradientFlowMeasured?.Invoke(measurement);

    /// <inheritdoc/>
    public override void OnStall(TrainingContext context, Stall stall) => StallDetected?.Invoke(stall);
}
