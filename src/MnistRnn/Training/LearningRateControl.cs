using System.Reflection;
using MnistRnn.Checkpoints;
using TorchSharp;
using Scheduler = TorchSharp.torch.optim.lr_scheduler.LRScheduler;
using Plateau = TorchSharp.torch.optim.lr_scheduler.impl.ReduceLROnPlateau;

namespace MnistRnn.Training;

/// <summary>
/// Sets the learning rate of each step: from a closed-form <see cref="LearningRateSchedule"/>, or by stepping a
/// TorchSharp scheduler (the schedule's own, or the trainer's <see cref="Trainer.Scheduler"/>) after every step, or
/// after every validation for <c>ReduceLROnPlateau</c>, which reads the validation loss.
/// </summary>
internal sealed class LearningRateControl : IStateOwner
{
    private readonly TrainingOptions _options;
    private readonly AdamOptimizer _optimizer;
    private readonly Scheduler? _scheduler;

    public LearningRateControl(TrainingOptions options, AdamOptimizer optimizer, Func<torch.optim.Optimizer, Scheduler>? factory)
    {
        _options = options;
        _optimizer = optimizer;
        _scheduler = factory is not null ? factory(optimizer) : options.Schedule.CreateScheduler(optimizer, options.Steps, options.LearningRate);
        if (factory is not null && DrivenOptimizer(_scheduler) is { } driven && !ReferenceEquals(driven, optimizer))
            throw new ArgumentException(
                "Trainer.Scheduler made a scheduler on another optimizer than the one it was given, so it would never change the trainer's " +
                "learning rate; build it on the function's argument, as in optimizer => StepLR(optimizer, 1000).", "Trainer.Scheduler");
    }

    // The optimizer a TorchSharp scheduler steps, which it keeps in a private field; null where another TorchSharp keeps it elsewhere.
    private static object? DrivenOptimizer(Scheduler? scheduler) =>
        scheduler is null ? null : typeof(Scheduler).GetField("_optimizer", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(scheduler);

    /// <summary>True when the scheduler reads the validation loss.</summary>
    public bool NeedsValidation => _scheduler is Plateau;

    public void BeforeStep(int step)
    {
        if (_scheduler is null) _optimizer.LearningRate = _options.Schedule.At(step, _options.Steps, _options.LearningRate);
    }

    public void AfterStep()
    {
        _steps++;
        if (_scheduler is not null and not Plateau) _scheduler.step();
    }

    public void AfterValidation(ValidationRecord validation)
    {
        if (_scheduler is not Plateau plateau) return;
        plateau.step(validation.Loss);
        _plateauLosses.Add(new PlateauLoss(_steps, validation.Loss));
    }

    private int _steps;
    private readonly List<PlateauLoss> _plateauLosses = [];

    /// <summary>A validation loss <c>ReduceLROnPlateau</c> was stepped with, after the given number of steps.</summary>
    private sealed record PlateauLoss(int Step, double Loss);

    /// <summary>
    /// The learning rate's section of a checkpoint, written only when a TorchSharp scheduler drives the rate (a closed-form
    /// schedule is a function of the step): how many steps it was stepped through, and the validation losses a plateau
    /// scheduler read. TorchSharp's schedulers have no state to save, so a resumed run makes a new one and replays them,
    /// which gives the uninterrupted run's rates (a checkpoint test compares them).
    /// </summary>
    public const string SectionName = "learning_rate";

    /// <summary>The rule of its section.</summary>
    internal static readonly SectionRule Rule = new(SectionName, Required: false, (section, at) => SectionProblem(section, at.Info.Step));

    string IStateOwner.SectionName => SectionName;

    void IStateOwner.SaveState(StateSection section)
    {
        if (_scheduler is null) return;
        section.SaveValue("steps", _steps);
        if (_scheduler is Plateau) section.SaveValue("plateau_losses", _plateauLosses);
    }

    void IStateOwner.LoadState(StateSection section)
    {
        if (_scheduler is null) return;
        int steps = section.LoadValue<int>("steps");
        var losses = _scheduler is Plateau ? section.LoadValue<List<PlateauLoss>>("plateau_losses") : [];
        int next = 0;
        for (int step = 1; step <= steps; step++)
        {
            AfterStep();
            for (; next < losses.Count && losses[next].Step == step; next++) AfterValidation(new ValidationRecord(step, losses[next].Loss, 0, false, 0));
        }
    }

    /// <summary>Whether this run's rate needs the checkpoint's section to resume: it does when a TorchSharp scheduler drives it.</summary>
    public bool NeedsSection => _scheduler is not null;

    /// <summary>What is wrong with a learning-rate section of a checkpoint after <paramref name="step"/> steps.</summary>
    public static string? SectionProblem(StateSection section, int step)
    {
        if (section.TryLoad<int>("steps") is not int steps || steps < 0 || steps > step) return $"a scheduler stepped {section.TryLoad<int>("steps")} times in {step} steps";
        if (!section.Contains("plateau_losses")) return null;
        List<PlateauLoss> losses;
        try
        {
            losses = section.LoadValue<List<PlateauLoss>>("plateau_losses");
        }
        catch (CheckpointException)
        {
            return "the plateau losses are not a list of steps and losses";
        }
        for (int i = 0; i < losses.Count; i++)
        {
            if (losses[i] is null || losses[i].Step < 1 || losses[i].Step > steps || (i > 0 && losses[i].Step <= losses[i - 1].Step))
                return "the plateau losses are out of step order";
        }
        return null;
    }
}
