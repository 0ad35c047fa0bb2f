using System.Diagnostics;

namespace MnistRnn.Tests.Support;

/// <summary>Runs another program (a Python script, say) to its end and keeps what it wrote.</summary>
internal static class ChildProcess
{
    public static DotnetProcess.Result Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new DotnetProcess.Result(process.ExitCode, output.Result, error.Result);
    }
}
