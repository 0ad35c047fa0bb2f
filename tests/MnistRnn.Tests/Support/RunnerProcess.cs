using System.Diagnostics;

namespace MnistRnn.Tests.Support;

/// <summary>Runs the <c>mnist-rnn</c> runner as a user would, in its own process.</summary>
internal static class RunnerProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] args) => RunIn(AppContext.BaseDirectory, args);

    public static Result RunIn(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("mnist-rnn " + string.Join(' ', args) + " did not finish in 5 minutes.");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
