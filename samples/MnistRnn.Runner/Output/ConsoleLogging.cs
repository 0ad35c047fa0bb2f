using Microsoft.Extensions.Logging;

namespace MnistRnn.Runner.Output;

/// <summary>
/// The runner's loggers: the library's lines on standard output, word for word (the trainer names settings by their flags,
/// see <see cref="Trainer.SettingName"/>), with no level or category prefix (warnings and errors say so). Written as they happen, in order with everything else the
/// command writes, on whatever writer the app was given.
/// </summary>
internal static class ConsoleLogging
{
    public static ILoggerFactory Create(RunnerConsole console) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Information)
        .AddProvider(new PlainLineProvider(console.Out, console.ProgressTo)));

    private sealed class PlainLineProvider(TextWriter output, TextWriter? terminal) : ILoggerProvider
    {
        private readonly Lock _gate = new();

        public ILogger CreateLogger(string categoryName) => new PlainLineLogger(output, terminal, _gate);

        public void Dispose() => output.Flush();
    }

    private sealed class PlainLineLogger(TextWriter output, TextWriter? terminal, Lock gate) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            string prefix = logLevel switch { LogLevel.Warning => "warning: ", >= LogLevel.Error => "error: ", _ => "" };
            lock (gate)
            {
                // On a terminal, erase the progress line first, so that the log line is never written into it.
                if (ProgressLine.Showing) terminal?.Write(ProgressLine.Clear);
                output.WriteLine(prefix + message);
            }
        }
    }
}
