namespace MnistRnn.Runner.Output;

/// <summary>
/// Where a command writes: standard output (the experiment's lines, tables, reports) and standard error (notes,
/// warnings, errors, what to do next, the progress line). In the process they are the console's; a test or a host
/// that calls <see cref="RunnerApp.RunAsync"/> passes its own.
/// </summary>
internal sealed record RunnerConsole(TextWriter Out, TextWriter Error, TextWriter? Terminal = null)
{
    /// <summary>
    /// Where a progress line is drawn: this process's standard error when both streams are its terminal, or the
    /// <see cref="Terminal"/> given (a comparison's trial, whose streams go to its log while the comparison runs on one);
    /// null where there is none.
    /// </summary>
    public TextWriter? ProgressTo => Terminal ?? (IsTerminal ? Error : null);

    /// <summary>Whether both streams are this process's terminal (not "dumb"), where a progress line may be drawn.</summary>
    private bool IsTerminal =>
        ReferenceEquals(Out, Console.Out) && ReferenceEquals(Error, Console.Error) &&
        !Console.IsOutputRedirected && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
}
