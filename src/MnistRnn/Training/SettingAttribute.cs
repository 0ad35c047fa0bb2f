namespace MnistRnn.Training;

/// <summary>
/// Declares a <see cref="TrainingOptions"/> property as a run setting, beside its documentation, default and validation:
/// every surface derives from this one declaration (<see cref="TrainingSetting"/>): a command line's flag and help (and so a
/// config file's key and a study's run-spec key), and the key a checkpoint records it under.
/// </summary>
/// <param name="flag">Its command-line name without dashes (<c>lr</c>), which config files and run specs use as their key; null when no command line sets it on its own.</param>
/// <param name="help">One line for a command line's help.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingAttribute(string? flag, string help) : Attribute
{
    /// <summary>Its command-line name without dashes, or null.</summary>
    public string? Flag { get; } = flag;

    /// <summary>One line for a command line's help.</summary>
    public string Help { get; } = help;

    /// <summary>The key of a checkpoint's <c>run</c> object that records it; null when checkpoints do not (the machine's, not the run's).</summary>
    public string? FileKey { get; init; }

    /// <summary>Whether one run of a comparison or a study may set it apart from the others. Default: true.</summary>
    public bool PerRun { get; init; } = true;

    /// <summary>For a nullable number: a command line writes null ("off") as 0.</summary>
    public bool ZeroMeansNull { get; init; }

    /// <summary>What the help shows for the value (<c>P</c>); null for the type's usual name.</summary>
    public string? ValueName { get; init; }
}
