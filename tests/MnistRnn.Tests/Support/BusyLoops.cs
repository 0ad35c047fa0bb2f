using System.Diagnostics;

namespace MnistRnn.Tests.Support;

/// <summary>Processes that each keep one CPU busy (<c>while :; do :; done</c>) until disposed: other work on the machine.</summary>
internal sealed class BusyLoops : IDisposable
{
    private readonly List<Process> _loops = [];

    public BusyLoops(int count)
    {
        for (int i = 0; i < count; i++)
            _loops.Add(Process.Start(new ProcessStartInfo("bash", ["-c", "while :; do :; done"]) { UseShellExecute = false })!);
        // Long enough for the scheduler to have placed them, and for a load reading to see only them.
        Thread.Sleep(300);
    }

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Kill();
            loop.WaitForExit();
            loop.Dispose();
        }
    }
}
