using System.Diagnostics;

namespace MnistRnn.Tests.Support;

/// <summary>Runs the <c>mnist-rnn</c> runner built beside the tests, as a user would.</summary>
internal static class RunnerProcess
{
    public static DotnetProcess.Result Run(params string[] args) => RunIn(AppContext.BaseDirectory, args);

    public static DotnetProcess.Result RunIn(string workingDirectory, params string[] args) =>
        RunFor(TimeSpan.FromMinutes(5), workingDirectory, args);

    /// <summary>For the long runs: a full training run may take ten times longer on a busy machine.</summary>
    public static DotnetProcess.Result RunFor(TimeSpan timeout, string workingDirectory, params string[] args) =>
        DotnetProcess.Run(workingDirectory, timeout, [Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), .. args]);

    /// <summary>Starts the runner without waiting, its output and errors redirected, for tests that act on it while it runs.</summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])[Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), .. args]) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }
}
