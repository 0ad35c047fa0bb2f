using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;
using MnistRnn.Training.Callbacks;

namespace MnistRnn.Checkpoints;

/// <summary>
/// What a checkpoint's header may say, checked against hard bounds and against itself before anything is allocated: a
/// valid SHA-256 proves the file is what its writer wrote, not that the writer told the truth. The run's numbers are
/// checked here; each section by its owner's rule (<see cref="SectionRule"/>), declared beside the owner.
/// </summary>
internal static class CheckpointRules
{
    /// <summary>The most classes a checkpoint may declare: as many as a model may have.</summary>
    public const int MaxClasses = RecurrentClassifierOptions.MaxClasses;

    /// <summary>The most CPU threads a checkpoint's record of its thread count is believed up to; a larger count is ignored.</summary>
    public const int MaxThreads = 1024;

    /// <summary>The most steps per sequence (image rows) a checkpoint may declare.</summary>
    public const int MaxSteps = 1 << 24;

    /// <summary>The most training items a checkpoint may declare; its batch order holds one int64 each, within the checkpoint's size limit.</summary>
    public const int MaxItems = 1 << 28;

    /// <summary>The prefix of the sections of <see cref="TrainingCallback"/>s, followed by each one's <see cref="TrainingCallback.StateKey"/>.</summary>
    public const string CallbackPrefix = "callback.";

    /// <summary>What is wrong with the header's numbers, or null.</summary>
    public static string? NumbersProblem(CheckpointInfo info)
    {
        var options = info.Options;
        int features = SequenceLayout.Shape(options.Order, info.ItemRows, info.ItemColumns).Features;
        return info.Step < 0 || info.Step > options.Steps ? $"step {info.Step} of {options.Steps}"
            : info.ItemRows is < 1 or > MaxSteps || info.ItemColumns is < 1 or > RecurrentClassifierOptions.MaxInputSize ? $"images of {info.ItemRows}x{info.ItemColumns}"
            : info.TrainCount is < 1 or > MaxItems ? $"{info.TrainCount} training images"
            : options.SequencesPerStep > info.TrainCount ? $"steps of {options.SequencesPerStep} sequences from {info.TrainCount} images"
            : info.Classes is < 2 or > MaxClasses ? $"{info.Classes} classes"
            : info.InputSize != features ? $"input size {info.InputSize} where {options.Order.ToName()} order of {info.ItemColumns}-pixel rows gives {features}"
            : info.DataFingerprint is { } fingerprint && (fingerprint.Length != 64 || !fingerprint.All(char.IsAsciiHexDigitLower))
                ? "a data fingerprint that is not a SHA-256 in lowercase hex"
            : null;
    }

    // Every owner's rule, declared beside the owner; the required sections first, in the order a missing one is named.
    private static readonly SectionRule[] Rules =
    [
        ModelWeights.Rule, AdamOptimizer.Rule, ShuffledBatches.Rule, GlobalGenerator.Rule,
        ValidationTracker.Rule, LearningRateControl.Rule, TrainingClock.Rule, WeightAverage.Rule, StallWarning.Rule,
    ];

    /// <summary>What is wrong with the sections, each checked by its owner's rule, or null; every required section must be there.</summary>
    public static string? SectionsProblem(CheckpointInfo info, IReadOnlyDictionary<string, StateSection> sections)
    {
        if (Rules.FirstOrDefault(rule => rule.Required && !sections.ContainsKey(rule.Name)) is { } missing) return $"it has no {missing.Name} section";
        var context = new SectionContext(info, sections[ModelWeights.Name]);
        foreach (var (name, section) in sections)
        {
            string? problem = Rules.FirstOrDefault(rule => rule.Name == name) is { } owner ? owner.Problem(section, context)
                : name.StartsWith(CallbackPrefix, StringComparison.Ordinal) ? null
                : $"unknown section {name}";
            if (problem is not null) return $"section {name}: {problem}";
        }
        return WeightAverage.PresenceProblem(info.Options, sections.ContainsKey(WeightAverage.SectionName));
    }
}
