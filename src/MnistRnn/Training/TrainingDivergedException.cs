namespace MnistRnn.Training;

/// <summary>
/// Training stopped because too many steps in a row had a non-finite loss or gradient. Its message names the settings to
/// change the way the trainer's <see cref="Trainer.SettingName"/> does (a command line, its flags).
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Training stopped at <paramref name="step"/>, after <paramref name="consecutive"/> skipped updates in a row.</summary>
    public TrainingDivergedException(int step, int consecutive, string? lastCheckpoint)
        : this(step, consecutive, lastCheckpoint, Trainer.OptionsPropertyName)
    {
    }

    internal TrainingDivergedException(int step, int consecutive, string? lastCheckpoint, Func<string, string> settingName)
        : base(Describe(step - consecutive + 1, step, lastCheckpoint, settingName))
    {
        FirstStep = step - consecutive + 1;
        Step = step;
        LastCheckpoint = lastCheckpoint;
    }

    /// <summary>The first of the steps in a row whose updates were skipped.</summary>
    public int FirstStep { get; }

    /// <summary>The message, each setting named by <paramref name="settingName"/> (a command line names its flags).</summary>
    [Obsolete("The message names settings as the trainer's SettingName does; read Message. Removed in 0.3.")]
    public string MessageNaming(Func<string, string> settingName) => Describe(FirstStep, Step, LastCheckpoint, settingName);

    private static string Describe(int first, int last, string? checkpoint, Func<string, string> settingName) =>
        $"Training diverged: steps {first} to {last} all had a non-finite loss or gradient, so their updates were skipped; " +
        (checkpoint is null ? "no checkpoint was written" : $"the last good checkpoint is {checkpoint}") +
        $". Lower {settingName(nameof(TrainingOptions.LearningRate))} or clip tighter with {settingName(nameof(TrainingOptions.ClipNorm))}.";

    /// <summary>The step at which training stopped.</summary>
    public int Step { get; }

    /// <summary>The last checkpoint written before it, or null.</summary>
    public string? LastCheckpoint { get; }
}
