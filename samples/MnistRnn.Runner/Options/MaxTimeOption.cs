using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MnistRnn.Runner.Options;

/// <summary>
/// <c>--max-time</c>: the training time after which a run stops, written as Lightning's <c>max_time</c> is, HH:MM:SS or
/// DD:HH:MM:SS. It counts the whole run's training time, a resumed checkpoint's included.
/// </summary>
internal static class MaxTimeOption
{
    private static readonly string[] Formats = [@"hh\:mm\:ss", @"d\:hh\:mm\:ss", @"hh\:mm\:ss\.FFF"];

    public static Option<TimeSpan?> Create() => new("--max-time")
    {
        Description = "Stop after the step that brings the run's training time to this (HH:MM:SS or DD:HH:MM:SS), write its checkpoint and " +
            "evaluate; a resumed run counts on from its checkpoint's time, so give a larger budget to continue.",
        HelpName = "HH:MM:SS",
        CustomParser = Parse,
    };

    /// <summary>The budget as the flag takes it (to the millisecond), or null for none.</summary>
    public static string? Format(TimeSpan? budget) =>
        budget is not TimeSpan time ? null
        : time.Days > 0 ? time.ToString(@"d\:hh\:mm\:ss", CultureInfo.InvariantCulture)
        : time.ToString(time.Milliseconds == 0 ? @"hh\:mm\:ss" : @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    private static TimeSpan? Parse(ArgumentResult result)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (TimeSpan.TryParseExact(text, Formats, CultureInfo.InvariantCulture, out var time)) return time;
        result.AddError($"--max-time: '{text}' is not a time; write it as HH:MM:SS (00:10:00 is ten minutes) or DD:HH:MM:SS.");
        return null;
    }
}
