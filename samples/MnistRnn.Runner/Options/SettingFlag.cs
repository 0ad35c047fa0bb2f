using System.CommandLine;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Options;

/// <summary>
/// A flag of <c>train</c> that sets a declared <see cref="TrainingSetting"/>: the option (named, described and defaulted by
/// the declaration), how what was typed sets the setting, and the setting's value as the flag would take it (for
/// --print-config and messages). Which kind of option a setting gets follows from its type alone, so a new setting of a known
/// type needs no line here.
/// </summary>
internal sealed record SettingFlag(Option Option, TrainingSetting Setting, Func<ParseResult, TrainingOptions, TrainingOptions> Apply,
    Func<TrainingOptions, object?> Value)
{
    /// <summary>The flag's name, with its dashes.</summary>
    public string Name => Option.Name;

    /// <summary>The flags of <paramref name="setting"/>: one, or none for a setting without a flag of its own.</summary>
    public static IEnumerable<SettingFlag> For(TrainingSetting setting)
    {
        if (setting.Flag is null) return [];
        string name = $"--{setting.Flag}";
        var type = setting.Type;
        if (type == typeof(LearningRateSchedule)) return ScheduleFlags.For(setting);
        return [type switch
        {
            _ when type == typeof(CellKind) => Choice(setting, "cell", ChoiceOption.Cells),
            _ when type == typeof(SequenceOrder) => Choice(setting, "order", ChoiceOption.Orders),
            _ when type == typeof(DeviceChoice) => Choice(setting, "device", ChoiceOption.Devices),
            _ when type == typeof(StepExecution) => Choice(setting, "mode", ChoiceOption.StepModes),
            _ when type == typeof(Precision) => Choice(setting, "precision", ChoiceOption.Precisions),
            _ when type == typeof(ValidationMetric) => Choice(setting, "metric", ChoiceOption.Metrics),
            _ when type == typeof(int) => Plain(setting, new Option<int>(name) { DefaultValueFactory = _ => (int)setting.Default! }),
            _ when type == typeof(long) => Plain(setting, new Option<long>(name) { DefaultValueFactory = _ => (long)setting.Default! }),
            _ when type == typeof(int?) => Plain(setting, new Option<int?>(name)),
            _ when type == typeof(bool) => Plain(setting, new Option<bool>(name)),
            _ when type == typeof(double) => Plain(setting, DecimalOption.Create(name, setting.Help, (double)setting.Default!)),
            _ when type == typeof(double?) && setting.ZeroMeansNull => Off(setting, DecimalOption.Create(name, setting.Help, (double?)setting.Default ?? 0)),
            _ when type == typeof(TimeSpan?) => Converted(setting, DurationOption.Create(name, setting.Help), time => time,
                options => DurationOption.Format((TimeSpan?)setting.ValueIn(options))),
            _ when type == typeof(LogCadence) => Converted(setting, new Option<int?>(name),
                every => every is int steps ? LogCadence.EveryNSteps(steps) : LogCadence.Experiment, options => ((LogCadence)setting.ValueIn(options)!).Every),
            _ => throw new NotSupportedException($"TrainingOptions.{setting.Property} is of type {type.Name}, which no flag reads yet; teach SettingFlag.For it."),
        }];
    }

    // An option whose typed value is the setting's value as it is.
    private static SettingFlag Plain<T>(TrainingSetting setting, Option<T> option) =>
        new(Described(option, setting), setting, (parse, options) => setting.With(options, parse.GetValue(option)), setting.ValueIn);

    // 0 is the command line's way to say "off" (null); negative values stay to be rejected by the options' checks.
    private static SettingFlag Off(TrainingSetting setting, Option<double> option) =>
        Converted(setting, option, value => value == 0 ? null : (double?)value, options => setting.ValueIn(options) ?? 0.0);

    private static SettingFlag Converted<T>(TrainingSetting setting, Option<T> option, Func<T?, object?> toSetting, Func<TrainingOptions, object?> asTyped) =>
        new(Described(option, setting), setting, (parse, options) => setting.With(options, toSetting(parse.GetValue(option))), asTyped);

    private static SettingFlag Choice<T>(TrainingSetting setting, string noun, (string Name, T Value)[] choices) where T : struct
    {
        var option = ChoiceOption.Create($"--{setting.Flag}", noun, setting.Help, choices, (T)setting.Default!);
        return new(option, setting, (parse, options) => setting.With(options, parse.GetValue(option)),
            options => ChoiceOption.NameOf(choices, (T)setting.ValueIn(options)!));
    }

    private static Option Described(Option option, TrainingSetting setting)
    {
        option.Description = setting.Help;
        option.HelpName = setting.ValueName ?? (setting.Type == typeof(double) || setting.Type == typeof(double?) ? "X" : setting.Type == typeof(bool) ? null : "N");
        return option;
    }
}
