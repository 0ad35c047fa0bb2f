using TorchSharp;
using Scheduler = TorchSharp.torch.optim.lr_scheduler.LRScheduler;

namespace MnistRnn.Training;

/// <summary>The shapes a <see cref="LearningRateSchedule"/> can take.</summary>
public enum ScheduleKind
{
    /// <summary>The peak rate at every step (the experiment's).</summary>
    Constant,

    /// <summary>Linear warm-up, then cosine decay.</summary>
    Cosine,

    /// <summary>TorchSharp's <c>OneCycleLR</c> over the whole run, momentum (beta1) cycled inversely.</summary>
    OneCycle,

    /// <summary>TorchSharp's <c>ReduceLROnPlateau</c> on the validation loss.</summary>
    ReduceOnPlateau,
}

/// <summary>
/// The learning rate at each step: constant (the experiment's), a linear warm-up followed by a cosine decay from the
/// peak rate to <see cref="FinalFraction"/> of it at the last step, one cycle (TorchSharp's <c>OneCycleLR</c>), or
/// the peak rate cut by <see cref="Factor"/> whenever the validation loss has not improved for <see cref="Patience"/>
/// validations (TorchSharp's <c>ReduceLROnPlateau</c>).
/// </summary>
public sealed record LearningRateSchedule
{
    private LearningRateSchedule(ScheduleKind kind, int warmupSteps = 0, double finalFraction = 1, double factor = 0, int patience = 0)
    {
        Kind = kind;
        WarmupSteps = warmupSteps;
        FinalFraction = finalFraction;
        Factor = factor;
        Patience = patience;
    }

    /// <summary>The peak rate at every step.</summary>
    public static LearningRateSchedule Constant { get; } = new(ScheduleKind.Constant);

    /// <summary>Linear warm-up over <paramref name="warmupSteps"/> steps, then cosine decay to <paramref name="finalFraction"/> of the peak.</summary>
    public static LearningRateSchedule Cosine(int warmupSteps, double finalFraction = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (!(finalFraction >= 0 && finalFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(finalFraction), finalFraction, "must be in [0, 1].");
        return new(ScheduleKind.Cosine, warmupSteps, finalFraction);
    }

    /// <summary>
    /// TorchSharp's <c>OneCycleLR</c> with its defaults: from a 25th of the peak up to it over the first 30% of the run,
    /// then down to a 10,000th of the start, with beta1 cycled from 0.95 to 0.85 and back.
    /// </summary>
    public static LearningRateSchedule OneCycle { get; } = new(ScheduleKind.OneCycle);

    /// <summary>
    /// TorchSharp's <c>ReduceLROnPlateau</c> on the validation loss: the rate is multiplied by <paramref name="factor"/>
    /// after <paramref name="patience"/> validations in a row without improvement. Needs validation data.
    /// </summary>
    public static LearningRateSchedule ReduceOnPlateau(double factor = DefaultPlateauFactor, int patience = DefaultPlateauPatience)
    {
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "must be between 0 and 1.");
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        return new(ScheduleKind.ReduceOnPlateau, factor: factor, patience: patience);
    }

    /// <summary>The plateau factor unless another is given: Keras's and PyTorch's default.</summary>
    public const double DefaultPlateauFactor = 0.1;

    /// <summary>
    /// Validations without improvement before the rate is cut, unless another is given. PyTorch's default is 10 epochs;
    /// validations here come every <see cref="TrainingOptions.ValidateEvery"/> steps, a fraction of an epoch, and 10 of
    /// them would outlast most runs.
    /// </summary>
    public const int DefaultPlateauPatience = 2;

    /// <summary>What shape the schedule has.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>Steps of linear warm-up from near zero to the peak (cosine only).</summary>
    public int WarmupSteps { get; }

    /// <summary>The rate at the last step as a fraction of the peak (cosine only).</summary>
    public double FinalFraction { get; }

    /// <summary>What a plateau multiplies the rate by (reduce-on-plateau only).</summary>
    public double Factor { get; }

    /// <summary>Validations without improvement before the rate is cut (reduce-on-plateau only).</summary>
    public int Patience { get; }

    /// <summary>True for warm-up plus cosine decay.</summary>
    public bool IsCosine => Kind == ScheduleKind.Cosine;

    /// <summary>True when the schedule reads the validation loss, so training needs validation data.</summary>
    public bool NeedsValidation => Kind == ScheduleKind.ReduceOnPlateau;

    /// <summary>
    /// The rate for 1-based <paramref name="step"/> of <paramref name="steps"/>, given the peak rate, for the schedules
    /// that have a closed form (constant and cosine); the others are driven by a TorchSharp scheduler (<see cref="CreateScheduler"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The schedule has no closed form.</exception>
    public double At(int step, int steps, double peak)
    {
        if (Kind == ScheduleKind.Constant) return peak;
        if (!IsCosine) throw new InvalidOperationException($"the {this} schedule is driven by a TorchSharp scheduler; use CreateScheduler.");
        if (step <= WarmupSteps) return peak * step / WarmupSteps;
        double progress = steps == WarmupSteps ? 1 : (step - WarmupSteps) / (double)(steps - WarmupSteps);
        return peak * (FinalFraction + (1 - FinalFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>The TorchSharp scheduler that drives <paramref name="optimizer"/> over <paramref name="steps"/> steps; null for the closed-form schedules.</summary>
    public Scheduler? CreateScheduler(torch.optim.Optimizer optimizer, int steps, double peak) => Kind switch
    {
        ScheduleKind.OneCycle => torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr: peak, total_steps: steps),
        ScheduleKind.ReduceOnPlateau => torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor: Factor, patience: Patience),
        _ => null,
    };

    /// <summary>"constant", "cosine, warm-up W, final F", "one-cycle" or "reduce on plateau, factor F, patience P".</summary>
    public override string ToString() => Kind switch
    {
        ScheduleKind.Cosine => $"cosine, warm-up {WarmupSteps}, final {FinalFraction:G3}",
        ScheduleKind.OneCycle => "one-cycle",
        ScheduleKind.ReduceOnPlateau => $"reduce on plateau, factor {Factor:G3}, patience {Patience}",
        _ => "constant",
    };
}
