using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MnistRnn.Runner.Platform;

/// <summary>SIGTERM to a process: the signal a run answers by finishing its step and writing a checkpoint.</summary>
internal static class TerminationSignal
{
    private const int SigTerm = 15; // the same on Linux and macOS

    /// <summary>Asks process <paramref name="pid"/> to stop; on Windows, which has no SIGTERM, the process is killed.</summary>
    public static void Send(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            return;
        }
        _ = Kill(pid, SigTerm);
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
