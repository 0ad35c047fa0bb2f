namespace MnistRnn.Training;

/// <summary>Which validation figure decides the best weights and early stopping.</summary>
public enum ValidationMetric
{
    /// <summary>Mean cross-entropy: lower is better.</summary>
    Loss,

    /// <summary>Fraction classified correctly: higher is better.</summary>
    Accuracy,
}

/// <summary>One evaluation of the validation data during training.</summary>
/// <param name="Step">Steps completed when it was taken.</param>
/// <param name="Loss">Mean cross-entropy over the validation data.</param>
/// <param name="Accuracy">Fraction of the validation data classified correctly.</param>
/// <param name="IsBest">True when it improved on every earlier validation of the run by more than <see cref="TrainingOptions.MinDelta"/>.</param>
/// <param name="ValidationsWithoutImprovement">Validations since the best one, this one included (0 when this is the best).</param>
public sealed record ValidationRecord(int Step, double Loss, double Accuracy, bool IsBest, int ValidationsWithoutImprovement);
