using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MnistRnn.Runner.Options;

/// <summary>
/// Options that take a length of time written as Lightning's <c>max_time</c> is, HH:MM:SS or DD:HH:MM:SS.
/// </summary>
internal static class DurationOption
{
    private static readonly string[] Formats = [@"hh\:mm\:ss", @"d\:hh\:mm\:ss", @"hh\:mm\:ss\.FFF"];

    public static Option<TimeSpan?> Create(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "HH:MM:SS",
        CustomParser = result => Parse(result, name),
    };

    /// <summary>The budget as the flag takes it (to the millisecond), or null for none.</summary>
    public static string? Format(TimeSpan? budget) =>
        budget is not TimeSpan time ? null
        : time.Days > 0 ? time.ToString(@"d\:hh\:mm\:ss", CultureInfo.InvariantCulture)
        : time.ToString(time.Milliseconds == 0 ? @"hh\:mm\:ss" : @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    private static TimeSpan? Parse(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (TimeSpan.TryParseExact(text, Formats, CultureInfo.InvariantCulture, out var time)) return time;
        result.AddError($"{name}: '{text}' is not a time; write it as HH:MM:SS (00:10:00 is ten minutes) or DD:HH:MM:SS.");
        return null;
    }
}
