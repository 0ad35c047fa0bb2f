using System.Diagnostics;

namespace MnistRnn.Tests.Support;

/// <summary>Runs the <c>dotnet</c> command line in its own process, as a user or CI would.</summary>
internal static class DotnetProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] args) => Run(workingDirectory, timeout, null, args);

    /// <summary>As above, with <paramref name="environment"/> added to the child's environment.</summary>
    public static Result Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in {timeout}.");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
