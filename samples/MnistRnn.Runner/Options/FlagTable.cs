using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MnistRnn.Runner.Options;

/// <summary>
/// A command's flags as the Markdown table docs/runner.md shows: each flag with what it takes, its default and its help, from
/// the options themselves (for train's settings, their declarations on <c>TrainingOptions</c>), so the page cannot drift
/// from <c>--help</c>. A test compares the page with this and rewrites it on request.
/// </summary>
internal static partial class FlagTable
{
    public static string For(Command command, Func<Option, object?> defaultOf)
    {
        var table = new StringBuilder("| option | default | meaning |\n| --- | --- | --- |\n");
        foreach (var option in command.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && !o.Hidden))
        {
            string description = option.Description ?? "";
            var stated = StatedDefault().Match(description);
            string defaultText = stated.Success ? stated.Groups[1].Value : Format(defaultOf(option));
            string meaning = stated.Success ? description.Remove(stated.Index, stated.Length) : description;
            table.Append(CultureInfo.InvariantCulture, $"| {Cell($"`{option.Name}{ValueName(option)}`")} | {Cell(defaultText)} | {Cell(meaning.Trim())} |\n");
        }
        return table.ToString();
    }

    private static string ValueName(Option option) =>
        option.ValueType == typeof(bool) ? ""
        : option.HelpName is { } name ? $" {name}"
        : option.ValueType == typeof(double) || option.ValueType == typeof(double?) ? " X"
        : option.ValueType == typeof(string) ? $" {option.Name[2..].ToUpperInvariant()}"
        : " N";

    private static string Format(object? value) => value switch
    {
        null => "none",
        false => "off",
        true => "on",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "none",
    };

    // A table cell: a pipe would end it.
    private static string Cell(string text) => text.Replace("|", "\\|");

    [GeneratedRegex(@"\s*\[default: ([^\]]*)\]")]
    private static partial Regex StatedDefault();
}
