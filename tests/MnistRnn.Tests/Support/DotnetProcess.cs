using System.Diagnostics;

namespace MnistRnn.Tests.Support;

/// <summary>Runs the <c>dotnet</c> command line in its own process, as a user or CI would.</summary>
internal static class DotnetProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] args) => Run(workingDirectory, timeout, null, args);

    /// <summary>As above, with <paramref name="environment"/> added to the child's environment.</summary>
    public static Result Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Run(workingDirectory, timeout, environment, null, args);

    /// <summary>As <see cref="Run(string, TimeSpan, string[])"/>, also reporting the child's peak working set as last seen alive.</summary>
    public static (Result Result, long PeakBytes) RunMeasuringPeak(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        long peak = 0;
        var result = Run(workingDirectory, timeout, null, process =>
        {
            // The peak is a high-water mark: polled until exit, the last reading holds everything but the final moments.
            while (!process.WaitForExit(50))
            {
                try { process.Refresh(); peak = Math.Max(peak, process.PeakWorkingSet64); }
                catch (InvalidOperationException) { break; }
            }
        }, args);
        return (result, peak);
    }

    // An SDK command run in the repository builds its projects into the repository's own obj and bin folders, and the tests
    // that wait on processes run side by side (Parallelism.cs): two packs, or a pack beside a publish, would write the same
    // files. So those commands take turns; projects built in a test's own folder, and programs run from a .dll, do not wait.
    private static readonly object RepositoryBuilds = new();

    private static Result Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, Action<Process>? watch, string[] args)
    {
        string folder = Path.GetFullPath(workingDirectory);
        bool buildsInRepository = (folder == RepositoryPaths.Root || folder.StartsWith(RepositoryPaths.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            && args is [var command, ..] && !command.EndsWith(".dll", StringComparison.Ordinal);
        if (!buildsInRepository) return RunNow(workingDirectory, timeout, environment, watch, args);
        lock (RepositoryBuilds) return RunNow(workingDirectory, timeout, environment, watch, args);
    }

    private static Result RunNow(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, Action<Process>? watch, string[] args)
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
        var watching = watch is null ? Task.CompletedTask : Task.Run(() => watch(process));
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in {timeout}.");
        }
        watching.Wait();
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
