using System.Runtime.InteropServices;

namespace MnistRnn.Runner.Platform;

/// <summary>
/// Makes SIGHUP (the terminal closing, an SSH session dropping) stop a run as SIGTERM does: the step in
/// flight finishes and a checkpoint is written. Its default action kills the process at once.
/// System.CommandLine handles SIGINT and SIGTERM only, so SIGHUP is turned into a SIGTERM to this process.
/// </summary>
internal static class HangupSignal
{
    private static PosixSignalRegistration? _registration;

    /// <summary>Installs the handler, once per process; nothing on Windows, which has no SIGHUP.</summary>
    public static void TreatLikeTermination()
    {
        if (OperatingSystem.IsWindows() || _registration is not null) return;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            TerminationSignal.Send(Environment.ProcessId);
        });
    }
}
