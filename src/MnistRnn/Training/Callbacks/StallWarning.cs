using MnistRnn.Checkpoints;
using MnistRnn.Diagnostics;

namespace MnistRnn.Training.Callbacks;

/// <summary>
/// Watches the loss with a <see cref="StallDetector"/> and, once it stalls, logs why and tells every callback. Its window
/// is saved in checkpoints, so a resumed run warns where the uninterrupted one would.
/// </summary>
internal sealed class StallWarning(int window, int classes, Func<string, string> settingName) : TrainingCallback
{
    private readonly StallDetector _detector = new(window, classes);

    /// <summary>Its section of a checkpoint.</summary>
    public const string SectionName = CheckpointRules.CallbackPrefix + nameof(StallWarning);

    /// <summary>The rule of its section: a window of the run's own length at most.</summary>
    internal static readonly SectionRule Rule = new(SectionName, Required: false, (section, at) => StallDetector.SectionProblem(section, at.Info.Step, at.Info.Options.StallWindow));

    public override void OnStepReported(TrainingContext context, StepMetrics metrics)
    {
        if (_detector.Observe(metrics) is not { } stall) return;
        TrainingLog.Stalled(context.Logger, stall.Step, stall.Window, stall.MeanLoss, stall.ChanceLoss, stall.MeanAccuracy, stall.AdviceNaming(settingName));
        context.Notify(stall);
    }

    public override void SaveState(StateSection state) => _detector.SaveState(state);

    public override void LoadState(StateSection state) => _detector.LoadState(state);
}
