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
        var saved = checkpoint.Options;
        var fixedSettings = new (string Property, object? Given, object? Saved)[]
        {
            (nameof(TrainingOptions.Model), options.Model, saved.Model),
            (nameof(TrainingOptions.Order), options.Order, saved.Order),
            (nameof(TrainingOptions.HiddenSize), options.HiddenSize, saved.HiddenSize),
            (nameof(TrainingOptions.Layers), options.Layers, saved.Layers),
            (nameof(TrainingOptions.Bidirectional), options.Bidirectional, saved.Bidirectional),
            (nameof(TrainingOptions.Dropout), options.Dropout, saved.Dropout),
            (nameof(TrainingOptions.BatchSize), options.BatchSize, saved.BatchSize),
            (nameof(TrainingOptions.LearningRate), options.LearningRate, saved.LearningRate),
            (nameof(TrainingOptions.Schedule), options.Schedule, saved.Schedule),
            (nameof(TrainingOptions.WeightDecay), options.WeightDecay, saved.WeightDecay),
            (nameof(TrainingOptions.ClipNorm), options.ClipNorm, saved.ClipNorm),
            (nameof(TrainingOptions.ClipValue), options.ClipValue, saved.ClipValue),
            (nameof(TrainingOptions.Seed), options.Seed, saved.Seed),
            // When validations happen and what they decide shape the weights a run ends with.
            (nameof(TrainingOptions.ValidateEvery), options.ValidateEvery, saved.ValidateEvery),
            (nameof(TrainingOptions.Monitor), options.Monitor, saved.Monitor),
            (nameof(TrainingOptions.MinDelta), options.MinDelta, saved.MinDelta),
            (nameof(TrainingOptions.EarlyStopPatience), options.EarlyStopPatience, saved.EarlyStopPatience),
            (nameof(TrainingOptions.RestoreBestWeights), options.RestoreBestWeights, saved.RestoreBestWeights),
        };
        foreach (var setting in fixedSettings)
        {
            if (!Equals(setting.Given, setting.Saved)) return setting;
        }
        return null;
    }
}
