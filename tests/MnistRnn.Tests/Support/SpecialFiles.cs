using System.Diagnostics;

namespace MnistRnn.Tests.Support;

/// <summary>Files that are not regular files, in the places where the runner expects one.</summary>
internal static class SpecialFiles
{
    /// <summary>Makes a FIFO at <paramref name="path"/> (nothing ever writes to it) and returns the path.</summary>
    public static string Fifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        mkfifo.WaitForExit();
        Assume.That(mkfifo.ExitCode, Is.EqualTo(0), $"mkfifo is needed: {mkfifo.StandardError.ReadToEnd()}");
        return path;
    }

    /// <summary>Makes <paramref name="path"/> a symbolic link to /dev/zero, which never ends, and returns the path.</summary>
    public static string EndlessZeros(string path)
    {
        File.CreateSymbolicLink(path, "/dev/zero");
        return path;
    }
}
