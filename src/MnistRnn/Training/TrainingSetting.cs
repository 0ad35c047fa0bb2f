using System.Reflection;

namespace MnistRnn.Training;

/// <summary>
/// One run setting as its <see cref="SettingAttribute"/> declares it: what a command line, a config file, a checkpoint and a
/// resume check need to know of it, read from <see cref="TrainingOptions"/> itself so that no surface keeps its own list.
/// </summary>
public sealed class TrainingSetting
{
    private static readonly MethodInfo Clone = typeof(TrainingOptions).GetMethod("<Clone>$")!;
    private readonly PropertyInfo _property;
    private readonly SettingAttribute _declaration;

    private TrainingSetting(PropertyInfo property, SettingAttribute declaration)
    {
        _property = property;
        _declaration = declaration;
    }

    /// <summary>Every declared setting, in the order <see cref="TrainingOptions"/> declares them.</summary>
    public static IReadOnlyList<TrainingSetting> All { get; } = typeof(TrainingOptions).GetProperties()
        .Select(p => (Property: p, Declaration: p.GetCustomAttribute<SettingAttribute>()))
        .Where(p => p.Declaration is not null)
        .OrderBy(p => p.Property.MetadataToken)
        .Select(p => new TrainingSetting(p.Property, p.Declaration!))
        .ToArray();

    /// <summary>The setting of the <see cref="TrainingOptions"/> property named <paramref name="property"/>, or null when it is none.</summary>
    public static TrainingSetting? Of(string property) => All.FirstOrDefault(s => s.Property == property);

    /// <summary>The <see cref="TrainingOptions"/> property's name.</summary>
    public string Property => _property.Name;

    /// <summary>The property's type.</summary>
    public Type Type => _property.PropertyType;

    /// <inheritdoc cref="SettingAttribute.Flag"/>
    public string? Flag => _declaration.Flag;

    /// <inheritdoc cref="SettingAttribute.Help"/>
    public string Help => _declaration.Help;

    /// <inheritdoc cref="SettingAttribute.FileKey"/>
    public string? FileKey => _declaration.FileKey;

    /// <inheritdoc cref="SettingAttribute.PerRun"/>
    public bool PerRun => _declaration.PerRun;

    /// <inheritdoc cref="SettingAttribute.ZeroMeansNull"/>
    public bool ZeroMeansNull => _declaration.ZeroMeansNull;

    /// <inheritdoc cref="SettingAttribute.ValueName"/>
    public string? ValueName => _declaration.ValueName;

    /// <summary>Whether a resumed run must keep the checkpoint's value (see <see cref="Checkpoints.CheckpointResume"/>).</summary>
    public bool DefinesRun => _property.IsDefined(typeof(RunDefiningAttribute), inherit: false);

    /// <summary>The value in <paramref name="options"/>.</summary>
    public object? ValueIn(TrainingOptions options) => _property.GetValue(options);

    /// <summary>The library's default.</summary>
    public object? Default => ValueIn(Defaults);

    /// <summary><paramref name="options"/> with this setting at <paramref name="value"/>; nothing is checked (see <see cref="TrainingOptions.Problems"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not of the setting's type.</exception>
    public TrainingOptions With(TrainingOptions options, object? value)
    {
        var copy = (TrainingOptions)Clone.Invoke(options, null)!;
        _property.SetValue(copy, value);
        return copy;
    }

    private static readonly TrainingOptions Defaults = new();

    /// <summary>The property's name.</summary>
    public override string ToString() => Property;
}
