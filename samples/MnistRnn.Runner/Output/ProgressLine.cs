using System.Diagnostics;
using System.Globalization;
using MnistRnn.Training;

namespace MnistRnn.Runner.Output;

/// <summary>
/// A live progress line on a terminal, in the manner of tqdm: step, samples per second, loss and time left, redrawn
/// in place on standard error at most ten times a second. Only when both standard output and standard error are
/// terminals; redirected to a file or a pipe, the output is exactly the plain lines. Log lines clear the progress
/// line before they are written (<see cref="ConsoleLogging"/>), and it is redrawn under them on the next step.
/// A training callback: give it to the trainer, and dispose of it when training ends, which erases it.
/// </summary>
internal sealed class ProgressLine(string label, RunnerConsole console) : TrainingCallback, IDisposable
{
    // Carriage return, then erase to the end of the line (ANSI/VT100, which every terminal of these platforms speaks).
    public const string Clear = "\r\u001b[K";

    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);
    private static int _showing;

    private readonly TextWriter? _terminal = console.ProgressTo;
    private readonly Stopwatch _sinceRedraw = new();
    private readonly Lock _gate = new();
    private int _firstStep, _lastStep, _batchSize;

    /// <summary>True while a progress line may be on the screen, so that log lines clear it first.</summary>
    public static bool Showing => Volatile.Read(ref _showing) == 1;

    /// <summary>Starts showing progress, from the first step this call of <c>Train</c> takes (after a resumed checkpoint's).</summary>
    public override void OnTrainingStart(TrainingContext context)
    {
        (_firstStep, _lastStep, _batchSize) = (context.Step + 1, context.Options.Steps, context.Options.SequencesPerStep);
        if (_terminal is not null) Interlocked.Exchange(ref _showing, 1);
    }

    /// <summary>Redraws the line, at most ten times a second and always for the last step.</summary>
    public override void OnStepReported(TrainingContext context, StepMetrics metrics)
    {
        if (_terminal is null) return;
        lock (_gate)
        {
            if (_sinceRedraw.IsRunning && _sinceRedraw.Elapsed < RedrawEvery && metrics.Step != _lastStep) return;
            _sinceRedraw.Restart();
            _terminal.Write(Clear + Fit(Text(metrics)));
        }
    }

    private string Text(StepMetrics metrics)
    {
        int done = metrics.Step - _firstStep + 1;
        double seconds = metrics.Elapsed.TotalSeconds;
        double perSecond = seconds > 0 ? done * (double)_batchSize / seconds : 0;
        string left = seconds > 0 && done > 0 ? Duration(TimeSpan.FromSeconds(seconds / done * (_lastStep - metrics.Step))) : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{label}  step {metrics.Step}/{_lastStep} ({100.0 * metrics.Step / _lastStep:F0}%)  {perSecond:N0} samples/s  loss {metrics.Loss:F4}  ETA {left}");
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

    /// <summary>Erases the line when training ends, so the lines that follow start on a clean one.</summary>
    public override void OnTrainingEnd(TrainingContext context, TrainingResult result) => Dispose();

    /// <summary>Erases the line (once), however training ended.</summary>
    public void Dispose()
    {
        if (_terminal is null) return;
        lock (_gate)
        {
            if (Interlocked.Exchange(ref _showing, 0) == 1) _terminal.Write(Clear);
        }
    }
}
