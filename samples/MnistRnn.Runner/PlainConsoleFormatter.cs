using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace MnistRnn.Runner;

/// <summary>Writes log messages exactly as the library words them, with no level or category prefix.</summary>
internal sealed class PlainConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "plain";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.LogLevel >= LogLevel.Warning)
            textWriter.Write(logEntry.LogLevel == LogLevel.Warning ? "warning: " : "error: ");
        textWriter.WriteLine(message);
    }
}
