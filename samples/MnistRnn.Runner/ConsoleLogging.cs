using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace MnistRnn.Runner;

/// <summary>The runner's loggers: the library's lines on standard output, word for word.</summary>
internal static class ConsoleLogging
{
    public static ILoggerFactory Create() => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Information)
        .AddConsole(options => options.FormatterName = PlainConsoleFormatter.FormatterName)
        .AddConsoleFormatter<PlainConsoleFormatter, ConsoleFormatterOptions>());
}
