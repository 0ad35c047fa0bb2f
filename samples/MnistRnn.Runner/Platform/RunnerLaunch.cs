using System.Globalization;

namespace MnistRnn.Runner.Platform;

/// <summary>
/// How to start this runner again in another process (a sweep's workers, a Slurm job): its own executable when it runs as
/// one, otherwise the <c>dotnet</c> host with this runner's assembly. Paths are absolute, so the command works from any folder.
/// </summary>
internal static class RunnerLaunch
{
    /// <summary>The program and the arguments before the runner's own.</summary>
    public static (string Program, string[] Prefix) Command()
    {
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "mnist-rnn") return (process, []);
        string assembly = typeof(RunnerLaunch).Assembly.Location;
        return (DotnetHost(process), [assembly]);
    }

    /// <summary>
    /// The one command line that runs a sweep's trial in a process of its own, program first: a local worker passes the
    /// trial's number, a Slurm script appends its array task's (<paramref name="trial"/> null).
    /// </summary>
    public static string[] TrialCommand(int threads, string allocator, string sweepFolder, string dataFolder, int? trial)
    {
        var (program, prefix) = Command();
        string[] command = [program, .. prefix, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--allocator", allocator,
            "sweep", "--out", sweepFolder, "--data", dataFolder];
        return trial is int number ? [.. command, "--trial", number.ToString(CultureInfo.InvariantCulture)] : command;
    }

    // The SDK names its host for child processes in DOTNET_HOST_PATH (dotnet run, dotnet test); a process started as
    // `dotnet mnist-rnn.dll` is the host itself.
    private static string DotnetHost(string? process)
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
        return "dotnet";
    }
}
