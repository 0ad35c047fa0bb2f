using System.Reflection;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>
/// Whether a trainer's options can continue a checkpoint's run. A resumed run is the same run: its model, data order,
/// optimizer and clipping must be the checkpoint's, and only how long it runs and how it reports may change.
/// </summary>
public static class CheckpointResume
{
    /// <summary>
    /// What stops <paramref name="options"/> from continuing the run of <paramref name="checkpoint"/>, in one sentence
    /// naming the <see cref="TrainingOptions"/> property; null when they can. Start from <c>checkpoint.Options with { Steps = ... }</c>
    /// to keep everything that must stay.
    /// </summary>
    public static string? Problem(TrainingOptions options, CheckpointInfo checkpoint)
    {
        if (Contradiction(options, checkpoint) is { } contradiction)
            return $"TrainingOptions.{contradiction.Property} is {contradiction.Given?.ToString() ?? "null"} but the checkpoint's run used {contradiction.Saved?.ToString() ?? "null"}; " +
                   "a resumed run keeps its settings, so start from the checkpoint's Info.Options and change only Steps or how it reports.";
        if (options.Steps <= checkpoint.Step)
            return $"TrainingOptions.Steps is {options.Steps} but the checkpoint is already at step {checkpoint.Step}; give more steps to train further.";
        return null;
    }

    /// <summary>
    /// The first run-defining setting (architecture, data order, batch, optimizer, schedule, clipping, seed, validation
    /// cadence and what it decides) in which <paramref name="options"/> differ from the checkpoint's run; null when none does.
    /// </summary>
    public static (string Property, object? Given, object? Saved)? Contradiction(TrainingOptions options, CheckpointInfo checkpoint)
    {
        foreach (var property in RunDefining)
        {
            object? given = property.GetValue(options), saved = property.GetValue(checkpoint.Options);
            if (!Equals(given, saved)) return (property.Name, given, saved);
        }
        return null;
    }

    // Every property marked [RunDefining], in the order TrainingOptions declares them.
    private static readonly PropertyInfo[] RunDefining = typeof(TrainingOptions).GetProperties()
        .Where(p => p.IsDefined(typeof(RunDefiningAttribute), inherit: false)).OrderBy(p => p.MetadataToken).ToArray();
}
