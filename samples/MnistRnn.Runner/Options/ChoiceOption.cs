using System.CommandLine;
using System.CommandLine.Parsing;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Options;

/// <summary>
/// Options whose value is one of a few names, each name standing for a value of the library's enums: parsed when the
/// command line is, in any case, with one message per flag for anything else ("--model: unknown cell 'x'; use rnn, lstm,
/// gru or irnn."), and the names listed in the help.
/// </summary>
internal static class ChoiceOption
{
    /// <summary>The names of the recurrent cells.</summary>
    public static readonly (string Name, CellKind Value)[] Cells = Lowercase<CellKind>();

    /// <summary>The names of the orders in which an image becomes a sequence.</summary>
    public static readonly (string Name, SequenceOrder Value)[] Orders = Lowercase<SequenceOrder>();

    /// <summary>The names of the devices.</summary>
    public static readonly (string Name, DeviceChoice Value)[] Devices = Lowercase<DeviceChoice>();

    /// <summary>The names of the ways a training step is driven.</summary>
    public static readonly (string Name, StepExecution Value)[] StepModes =
        [("auto", StepExecution.Auto), ("sync", StepExecution.Synchronous), ("resident", StepExecution.DeviceResident)];

    /// <summary>The names of the precisions, as Lightning's <c>precision</c> names them.</summary>
    public static readonly (string Name, Precision Value)[] Precisions = [.. Enum.GetValues<Precision>().Select(p => (p.ToName(), p))];

    /// <summary>The names of the learning-rate schedules.</summary>
    public static readonly (string Name, ScheduleKind Value)[] Schedules =
        [("constant", ScheduleKind.Constant), ("cosine", ScheduleKind.Cosine), ("one-cycle", ScheduleKind.OneCycle), ("plateau", ScheduleKind.ReduceOnPlateau)];

    /// <summary>The names of the validation figures.</summary>
    public static readonly (string Name, ValidationMetric Value)[] Metrics = Lowercase<ValidationMetric>();

    /// <summary>The names of the ways round a picture's ink is.</summary>
    public static readonly (string Name, InkPolarity Value)[] Inks =
        [("auto", InkPolarity.Auto), ("light-on-dark", InkPolarity.LightOnDark), ("dark-on-light", InkPolarity.DarkOnLight)];

    /// <summary>
    /// A new option <paramref name="name"/> taking one of <paramref name="choices"/>; <paramref name="noun"/> says what a
    /// value is in the message for any other ("unknown <paramref name="noun"/> 'x'").
    /// </summary>
    public static Option<T> Create<T>(string name, string noun, string description, (string Name, T Value)[] choices, T defaultValue) where T : struct
    {
        string[] names = choices.Select(c => c.Name).ToArray();
        string list = names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
        var option = new Option<T>(name)
        {
            Description = description,
            HelpName = string.Join('|', names),
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                foreach (var (choice, value) in choices)
                    if (string.Equals(choice, text, StringComparison.OrdinalIgnoreCase)) return value;
                result.AddError($"{name}: unknown {noun} '{text}'; use {list}.");
                return default;
            },
        };
        lock (Created) Created.Add(option);
        return option;
    }

    private static readonly HashSet<Option> Created = [];

    /// <summary>
    /// Whether <paramref name="error"/> is a choice option's own message, which lists what to use and so needs no pointer
    /// to the help, as it was when these options were checked after parsing.
    /// </summary>
    public static bool Said(ParseError error)
    {
        var option = (error.SymbolResult as OptionResult ?? error.SymbolResult?.Parent as OptionResult)?.Option;
        lock (Created) return option is not null && Created.Contains(option);
    }

    /// <summary>The name <paramref name="choices"/> give <paramref name="value"/>.</summary>
    public static string NameOf<T>((string Name, T Value)[] choices, T value) where T : struct =>
        choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, value)).Name;

    // Enums whose names, lowercased, are what users type: each value by its own name, and nothing else (not numbers).
    private static (string, T)[] Lowercase<T>() where T : struct, Enum => Enum.GetValues<T>().Select(v => (v.ToString().ToLowerInvariant(), v)).ToArray();
}
