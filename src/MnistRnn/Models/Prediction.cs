namespace MnistRnn.Models;

/// <summary>A classifier's answer for one sequence or image.</summary>
/// <param name="Class">The most probable class (the digit, for MNIST).</param>
/// <param name="Probabilities">The probability of each class, summing to 1.</param>
public sealed record Prediction(int Class, IReadOnlyList<double> Probabilities)
{
    /// <summary>The probability of <see cref="Class"/>.</summary>
    public double Confidence => Probabilities[Class];

    /// <summary>The classifier's scores before the softmax (what <c>model.forward</c> returns), one per class; empty where none were kept.</summary>
    public IReadOnlyList<double> Logits { get; init; } = [];
}
