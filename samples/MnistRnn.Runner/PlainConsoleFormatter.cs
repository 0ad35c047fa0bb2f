using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace MnistRnn.Runner;

/// <summary>Writes log messages as the library words them, options named by their flags, with no level or category prefix.</summary>
internal sealed class PlainConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "plain";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        // The library names its options; on the command line, flags set them.
        string message = TrainFlags.InFlagTerms(logEntry.Formatter(logEntry.State, logEntry.Exception));
        // On a terminal, erase the progress line first, so that the log line is never written into it.
        if (ProgressLine.Showing) textWriter.Write(ProgressLine.Clear);
        if (logEntry.LogLevel >= LogLevel.Warning)
            textWriter.Write(logEntry.LogLevel == LogLevel.Warning ? "warning: " : "error: ");
        textWriter.WriteLine(message);
    }
}
