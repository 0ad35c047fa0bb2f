using System.Diagnostics;
using System.Globalization;
using MnistRnn.Training;

namespace MnistRnn.Runner;

/// <summary>
/// A live progress line on a terminal, in the manner of tqdm: step, samples per second, loss and time left, redrawn
/// in place on standard error at most ten times a second. Only when both standard output and standard error are
/// terminals; redirected to a file or a pipe, the output is exactly the plain lines. Log lines clear the progress
/// line before they are written (<see cref="PlainConsoleFormatter"/>), and it is redrawn under them on the next step.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    // Carriage return, then erase to the end of the line (ANSI/VT100, which every terminal of these platforms speaks).
    public const string Clear = "\r\u001b[K";

    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);
    private static int _showing;

    private readonly string _label;
    private readonly int _lastStep;
    private readonly int _batchSize;
    private readonly int _firstStep;
    private readonly Stopwatch _sinceRedraw = new();
    private readonly Lock _gate = new();

    private ProgressLine(string label, int firstStep, int lastStep, int batchSize)
    {
        (_label, _firstStep, _lastStep, _batchSize) = (label, firstStep, lastStep, batchSize);
        Interlocked.Exchange(ref _showing, 1);
    }

    /// <summary>True while a progress line may be on the screen, so that log lines clear it first.</summary>
    public static bool Showing => Volatile.Read(ref _showing) == 1;

    /// <summary>Whether this process writes to a terminal on both streams (and the terminal is not "dumb").</summary>
    public static bool Enabled =>
        !Console.IsOutputRedirected && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>Shows progress of <paramref name="trainer"/> until disposed, or does nothing where <see cref="Enabled"/> is false.</summary>
    /// <param name="trainer">The trainer whose steps to show.</param>
    /// <param name="label">What is training, shown first ("lstm", "run 2/4 rnn").</param>
    /// <param name="firstStep">The first step this run takes (after a resumed checkpoint's).</param>
    public static IDisposable? Attach(Trainer trainer, string label, int firstStep = 1)
    {
        if (!Enabled) return null;
        var line = new ProgressLine(label, firstStep, trainer.Options.Steps, trainer.Options.BatchSize);
        trainer.StepCompleted += line.Report;
        return new Detach(() =>
        {
            trainer.StepCompleted -= line.Report;
            line.Dispose();
        });
    }

    private void Report(StepMetrics metrics)
    {
        lock (_gate)
        {
            if (_sinceRedraw.IsRunning && _sinceRedraw.Elapsed < RedrawEvery && metrics.Step != _lastStep) return;
            _sinceRedraw.Restart();
            Console.Error.Write(Clear + Fit(Text(metrics)));
        }
    }

    private string Text(StepMetrics metrics)
    {
        int done = metrics.Step - _firstStep + 1;
        double seconds = metrics.Elapsed.TotalSeconds;
        double perSecond = seconds > 0 ? done * (double)_batchSize / seconds : 0;
        string left = seconds > 0 && done > 0 ? Duration(TimeSpan.FromSeconds(seconds / done * (_lastStep - metrics.Step))) : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{_label}  step {metrics.Step}/{_lastStep} ({100.0 * metrics.Step / _lastStep:F0}%)  {perSecond:N0} samples/s  loss {metrics.Loss:F4}  ETA {left}");
    }

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}:{span.Minutes:D2}:{span.Seconds:D2}" : $"{span.Minutes}:{span.Seconds:D2}";

    // A line longer than the terminal would wrap, and the carriage return would then redraw only its last part.
    private static string Fit(string text)
    {
        int width;
        try
        {
            width = Console.WindowWidth;
        }
        catch (IOException)
        {
            return text;
        }
        return width > 1 && text.Length >= width ? text[..(width - 1)] : text;
    }

    /// <summary>Erases the line, so what follows starts on a clean one.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _showing, 0);
            Console.Error.Write(Clear);
        }
    }

    private sealed class Detach(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
