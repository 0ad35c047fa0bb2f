using System.Diagnostics;
using MnistRnn.Checkpoints;

namespace MnistRnn.Training;

/// <summary>
/// The run's training time: this call's, measured, and the whole run's, a resumed checkpoint's included, which its section
/// of a checkpoint carries on so that the time budget counts the run, not the call.
/// </summary>
internal sealed class TrainingClock : IStateOwner
{
    public const string SectionName = "clock";

    /// <summary>The rule of its section.</summary>
    internal static readonly SectionRule Rule = new(SectionName, Required: false, (section, _) => SectionProblem(section));
    private const string SecondsName = "train_seconds";
    private readonly Stopwatch _watch = new();
    private TimeSpan _before;

    /// <summary>Training time of this call.</summary>
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>Training time of the whole run.</summary>
    public TimeSpan Total => _before + _watch.Elapsed;

    public void Start() => _watch.Start();

    public void Stop() => _watch.Stop();

    string IStateOwner.SectionName => SectionName;

    // Checkpoints written before the clock was recorded have none: their run's time before them is not known.
    bool IStateOwner.IsOptional => true;

    void IStateOwner.SaveState(StateSection section) => section.SaveValue(SecondsName, Total.TotalSeconds);

    void IStateOwner.LoadState(StateSection section) => _before = TimeSpan.FromSeconds(section.LoadValue<double>(SecondsName));

    /// <summary>The run's training time a checkpoint's section records, or zero when it records none.</summary>
    public static TimeSpan Recorded(StateSection? section) =>
        section?.TryLoad<double>(SecondsName) is double seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;

    public static string? SectionProblem(StateSection section) =>
        section.TryLoad<double>(SecondsName) is double seconds && seconds >= 0 && seconds <= TrainingOptions.MaxTimeLimitSeconds * 100
            ? null : "the training time is not a number of seconds";
}
