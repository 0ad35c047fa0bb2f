namespace MnistRnn.Training;

/// <summary>
/// The learning rate at each step: constant (the experiment's), or a linear warm-up followed by a cosine
/// decay from the peak rate to <see cref="FinalFraction"/> of it at the last step.
/// </summary>
public sealed record LearningRateSchedule
{
    private LearningRateSchedule(int warmupSteps, double finalFraction, bool cosine)
    {
        WarmupSteps = warmupSteps;
        FinalFraction = finalFraction;
        IsCosine = cosine;
    }

    /// <summary>The peak rate at every step.</summary>
    public static LearningRateSchedule Constant { get; } = new(0, 1, cosine: false);

    /// <summary>Linear warm-up over <paramref name="warmupSteps"/> steps, then cosine decay to <paramref name="finalFraction"/> of the peak.</summary>
    public static LearningRateSchedule Cosine(int warmupSteps, double finalFraction = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (!(finalFraction >= 0 && finalFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(finalFraction), finalFraction, "must be in [0, 1].");
        return new(warmupSteps, finalFraction, cosine: true);
    }

    /// <summary>Steps of linear warm-up from near zero to the peak.</summary>
    public int WarmupSteps { get; }

    /// <summary>The rate at the last step as a fraction of the peak.</summary>
    public double FinalFraction { get; }

    /// <summary>True for warm-up plus cosine decay, false for constant.</summary>
    public bool IsCosine { get; }

    /// <summary>The rate for 1-based <paramref name="step"/> of <paramref name="steps"/>, given the peak rate.</summary>
    public double At(int step, int steps, double peak)
    {
        if (!IsCosine) return peak;
        if (step <= WarmupSteps) return peak * step / WarmupSteps;
        double progress = steps == WarmupSteps ? 1 : (step - WarmupSteps) / (double)(steps - WarmupSteps);
        return peak * (FinalFraction + (1 - FinalFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>"constant" or "cosine, warm-up W".</summary>
    public override string ToString() => IsCosine ? $"cosine, warm-up {WarmupSteps}, final {FinalFraction:G3}" : "constant";
}
