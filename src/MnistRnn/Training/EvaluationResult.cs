namespace MnistRnn.Training;

/// <summary>Loss and accuracy of a model over a whole split.</summary>
/// <param name="Loss">Mean cross-entropy per item.</param>
/// <param name="Accuracy">Fraction of items classified correctly.</param>
/// <param name="Count">Items evaluated.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, int Count);
