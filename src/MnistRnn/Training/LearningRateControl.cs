using TorchSharp;
using Scheduler = TorchSharp.torch.optim.lr_scheduler.LRScheduler;
using Plateau = TorchSharp.torch.optim.lr_scheduler.impl.ReduceLROnPlateau;

namespace MnistRnn.Training;

/// <summary>
/// Sets the learning rate of each step: from a closed-form <see cref="LearningRateSchedule"/>, or by stepping a
/// TorchSharp scheduler (the schedule's own, or the trainer's <see cref="Trainer.Scheduler"/>) after every step, or
/// after every validation for <c>ReduceLROnPlateau</c>, which reads the validation loss.
/// </summary>
internal sealed class LearningRateControl
{
    private readonly TrainingOptions _options;
    private readonly AdamOptimizer _optimizer;
    private readonly Scheduler? _scheduler;

    public LearningRateControl(TrainingOptions options, AdamOptimizer optimizer, Func<torch.optim.Optimizer, Scheduler>? factory)
    {
        _options = options;
        _optimizer = optimizer;
        _scheduler = factory is not null ? factory(optimizer) : options.Schedule.CreateScheduler(optimizer, options.Steps, options.LearningRate);
    }

    /// <summary>True when the scheduler reads the validation loss.</summary>
    public bool NeedsValidation => _scheduler is Plateau;

    public void BeforeStep(int step)
    {
        if (_scheduler is null) _optimizer.LearningRate = _options.Schedule.At(step, _options.Steps, _options.LearningRate);
    }

    public void AfterStep()
    {
        if (_scheduler is not null and not Plateau) _scheduler.step();
    }

    public void AfterValidation(ValidationRecord validation)
    {
        if (_scheduler is Plateau plateau) plateau.step(validation.Loss);
    }

    /// <summary>
    /// Brings a new scheduler to where a resumed run's stood after <paramref name="steps"/> steps, by stepping it as the
    /// run did, with the validations it recorded: TorchSharp's schedulers have no state to save, and a replay gives the
    /// same rates as an uninterrupted run (a checkpoint test compares them).
    /// </summary>
    public void Replay(int steps, IReadOnlyList<ValidationRecord> validations)
    {
        if (_scheduler is null) return;
        int next = 0;
        for (int step = 1; step <= steps; step++)
        {
            AfterStep();
            for (; next < validations.Count && validations[next].Step == step; next++) AfterValidation(validations[next]);
        }
    }
}
