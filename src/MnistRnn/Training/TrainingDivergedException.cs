namespace MnistRnn.Training;

/// <summary>Training stopped because too many steps in a row had a non-finite loss or gradient.</summary>
public sealed class TrainingDivergedException(int step, int consecutive, string? lastCheckpoint)
    : Exception(Describe(step - consecutive + 1, step, lastCheckpoint, Trainer.OptionsPropertyName))
{
    /// <summary>The first of the steps in a row whose updates were skipped.</summary>
    public int FirstStep { get; } = step - consecutive + 1;

    /// <summary>The message, each setting named by <paramref name="settingName"/> (a command line names its flags).</summary>
    public string MessageNaming(Func<string, string> settingName) => Describe(FirstStep, Step, LastCheckpoint, settingName);

    private static string Describe(int first, int last, string? checkpoint, Func<string, string> settingName) =>
        $"Training diverged: steps {first} to {last} all had a non-finite loss or gradient, so their updates were skipped; " +
        (checkpoint is null ? "no checkpoint was written" : $"the last good checkpoint is {checkpoint}") +
        $". Lower {settingName(nameof(TrainingOptions.LearningRate))} or clip tighter with {settingName(nameof(TrainingOptions.ClipNorm))}.";

    /// <summary>The step at which training stopped.</summary>
    public int Step { get; } = step;

    /// <summary>The last checkpoint written before it, or null.</summary>
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
