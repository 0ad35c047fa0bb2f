using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;
using MnistRnn.Training.Callbacks;

namespace MnistRnn.Checkpoints;

/// <summary>
/// Whether a run can continue a checkpoint's run, decided in this one place. A resumed run is the same run: its model, data
/// order, optimizer and clipping must be the checkpoint's, only how long it runs and how it reports may change, and there must
/// be something left to train.
/// </summary>
public static class CheckpointResume
{
    /// <summary>
    /// Every reason <paramref name="options"/> cannot continue <paramref name="checkpoint"/>'s run, each naming the
    /// <see cref="TrainingOptions"/> property it concerns (when one does); empty when they can. Start from
    /// <c>checkpoint.Info.Options with { Steps = ... }</c> to keep everything that must stay.
    /// </summary>
    public static IReadOnlyList<ResumeProblem> Problems(TrainingOptions options, Checkpoint checkpoint) => Problems(options, checkpoint, null);

    /// <summary>As <see cref="Problems(TrainingOptions, Checkpoint)"/>, and whether the model, data and validation data a run was given fit the checkpoint.</summary>
    internal static IReadOnlyList<ResumeProblem> Problems(TrainingOptions options, Checkpoint checkpoint, ResumedRun? run)
    {
        var info = checkpoint.Info;
        var problems = new List<ResumeProblem>();
        foreach (var (property, given, saved) in Contradictions(options, info))
            problems.Add(new(ResumeProblemKind.SettingChanged, property,
                $"{Trainer.OptionsPropertyName(property)} is {given?.ToString() ?? "null"} but the checkpoint's run used {saved?.ToString() ?? "null"}; " +
                "a resumed run keeps its settings, so start from the checkpoint's Info.Options and change only Steps or how it reports.") { Given = given, Saved = saved });
        if (options.Steps <= info.Step)
            problems.Add(new(ResumeProblemKind.NothingToTrain, nameof(TrainingOptions.Steps),
                $"{Trainer.OptionsPropertyName(nameof(TrainingOptions.Steps))} is {options.Steps} but the checkpoint is already at step {info.Step}; give more steps to train further.") { Given = options.Steps, Saved = info.Step });
        if (TimeBudget.ResumeProblem(options, checkpoint) is { } spent) problems.Add(spent);
        var validations = checkpoint.Validations;
        if (options.EarlyStopPatience is int patience && validations.Count > 0 && validations[^1].ValidationsWithoutImprovement >= patience)
            problems.Add(new(ResumeProblemKind.RunFinished, nameof(TrainingOptions.EarlyStopPatience),
                $"the run stopped early at step {info.Step} ({patience} validations without improvement); it is finished, so start a new run to train further."));
        if (options.ValidationReader is { } reader && checkpoint.Section(ValidationTracker.SectionName) is null)
            problems.Add(new(ResumeProblemKind.CheckpointContradictsItself, reader,
                $"the checkpoint's settings read the validation loss ({Trainer.OptionsPropertyName(reader)}) but its run held out no validation data; the checkpoint contradicts itself, so start a new run."));
        if (run is null) return problems;
        if (run.Model.Options != info.ModelOptions)
            problems.Add(new(ResumeProblemKind.OtherModelOrData, null, $"the checkpoint is for a {info.Architecture} model, not {run.Model.Options}."));
        if (!run.HasValidation && validations.Count > 0)
            problems.Add(new(ResumeProblemKind.OtherModelOrData, null, $"the run was validated every {info.Options.ValidateEvery} steps; resume it with its validation data."));
        var data = run.Data;
        if (data.Count != info.TrainCount || data.Rows != info.ItemRows || data.Columns != info.ItemColumns)
            problems.Add(new(ResumeProblemKind.OtherModelOrData, null,
                $"the checkpoint was trained on {info.TrainCount} images of {info.ItemRows}x{info.ItemColumns}, " +
                $"not this data's {data.Count} of {data.Rows}x{data.Columns}; resume on the data it was trained on."));
        else if (info.DataFingerprint is not null && info.DataFingerprint != data.Fingerprint)
            problems.Add(new(ResumeProblemKind.OtherModelOrData, null,
                $"the checkpoint was trained on other images or labels of the same shape (fingerprint {info.DataFingerprint[..12]}, " +
                $"this data's {data.Fingerprint[..12]}); resume on the data it was trained on."));
        return problems;
    }

    /// <summary>Throws the first of <see cref="Problems(TrainingOptions, Checkpoint, ResumedRun)"/>, if any.</summary>
    /// <exception cref="CheckpointException">The run cannot continue the checkpoint; it names the setting it concerns.</exception>
    internal static void EnsureResumable(TrainingOptions options, Checkpoint checkpoint, ResumedRun run)
    {
        if (Problems(options, checkpoint, run).FirstOrDefault() is { } problem)
            throw new CheckpointException($"{checkpoint.Path}: {problem.Message}") { Setting = problem.Setting };
    }

    /// <summary>
    /// The first run-defining setting (architecture, data order, batch, optimizer, schedule, clipping, seed, validation
    /// cadence and what it decides) in which <paramref name="options"/> differ from the checkpoint's run; null when none does.
    /// </summary>
    public static (string Property, object? Given, object? Saved)? Contradiction(TrainingOptions options, CheckpointInfo checkpoint) =>
        Contradictions(options, checkpoint).Select(c => ((string, object?, object?)?)c).FirstOrDefault();

    private static IEnumerable<(string Property, object? Given, object? Saved)> Contradictions(TrainingOptions options, CheckpointInfo checkpoint)
    {
        foreach (var setting in TrainingSetting.All.Where(s => s.DefinesRun))
        {
            object? given = setting.ValueIn(options), saved = setting.ValueIn(checkpoint.Options);
            // Auto asks for whatever the run chose, and a resumed run keeps its checkpoint's choice.
            if (given is Precision.Auto) continue;
            if (!Equals(given, saved)) yield return (setting.Property, given, saved);
        }
    }
}

/// <summary>What a run that resumes was given: its model, the identity of its training data, and whether it has validation data.</summary>
internal sealed record ResumedRun(RecurrentClassifier Model, DataIdentity Data, bool HasValidation);

/// <summary>Why a run cannot continue a checkpoint.</summary>
public enum ResumeProblemKind
{
    /// <summary>A run-defining setting differs from the checkpoint's run.</summary>
    SettingChanged,

    /// <summary>The steps or the time budget are already spent.</summary>
    NothingToTrain,

    /// <summary>Early stopping ended the run.</summary>
    RunFinished,

    /// <summary>The checkpoint's settings contradict what it holds (only a crafted checkpoint does).</summary>
    CheckpointContradictsItself,

    /// <summary>The model, the training data or the validation data is not the checkpoint's.</summary>
    OtherModelOrData,
}

/// <summary>One reason a run cannot continue a checkpoint.</summary>
/// <param name="Kind">What kind of reason.</param>
/// <param name="Setting">The <see cref="TrainingOptions"/> property it concerns, or null when none does.</param>
/// <param name="Message">One sentence naming the property as <c>TrainingOptions.NAME</c>.</param>
public sealed record ResumeProblem(ResumeProblemKind Kind, string? Setting, string Message)
{
    /// <summary>The setting's value in the run that would resume (for <see cref="ResumeProblemKind.SettingChanged"/> and <see cref="ResumeProblemKind.NothingToTrain"/>).</summary>
    public object? Given { get; init; }

    /// <summary>What the checkpoint holds against it: the setting's value in its run, its step, or its training time.</summary>
    public object? Saved { get; init; }
}
