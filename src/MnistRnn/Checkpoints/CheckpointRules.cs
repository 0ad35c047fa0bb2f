using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Diagnostics;
using MnistRnn.Training;
using MnistRnn.Training.Callbacks;

namespace MnistRnn.Checkpoints;

/// <summary>
/// What a checkpoint's header may say, checked against hard bounds and against itself before anything is allocated: a
/// valid SHA-256 proves the file is what its writer wrote, not that the writer told the truth. The run's numbers are
/// checked here; each section by the rules of its owner, from the one table of sections below.
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

    /// <summary>What is wrong with the sections, each checked by its owner's rules, or null; the model's, the optimizer's, the batches' and the generator's must be there.</summary>
    public static string? SectionsProblem(CheckpointInfo info, IReadOnlyDictionary<string, StateSection> sections)
    {
        foreach (string required in new[] { ModelWeights.Name, AdamOptimizer.SectionName, ShuffledBatches.SectionName, GlobalGenerator.Name })
            if (!sections.ContainsKey(required)) return $"it has no {required} section";
        var model = sections[ModelWeights.Name];
        foreach (var (name, section) in sections)
        {
            string? problem = name switch
            {
                ModelWeights.Name => ModelWeights.Problem(section, info.ModelOptions),
                AdamOptimizer.SectionName => AdamOptimizer.SectionProblem(section, model.StoredTensors.Count, info.Step),
                ShuffledBatches.SectionName => ShuffledBatches.SectionProblem(section, info.TrainCount),
                GlobalGenerator.Name => GlobalGenerator.Problem(section),
                ValidationTracker.SectionName => ValidationTracker.SectionProblem(section, info.Step, model),
                LearningRateControl.SectionName => LearningRateControl.SectionProblem(section, info.Step),
                TrainingClock.SectionName => TrainingClock.SectionProblem(section),
                WeightAverage.SectionName => WeightAverage.SectionProblem(section, model),
                StallWarning.SectionName => StallDetector.SectionProblem(section, info.Step, info.Options.StallWindow),
                _ when name.StartsWith(CallbackPrefix, StringComparison.Ordinal) => null,
                _ => $"unknown section {name}",
            };
            if (problem is not null) return $"section {name}: {problem}";
        }
        return WeightAverage.PresenceProblem(info.Options, sections.ContainsKey(WeightAverage.SectionName));
    }
}
