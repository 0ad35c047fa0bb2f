namespace MnistRnn.Runner;

/// <summary>
/// Output files written whole or not at all: through a temporary file of this process's own in the same
/// folder, renamed over the target. A reader never sees half a file, two runs writing one path never share
/// a temporary file, and a failed write (a full disk) leaves nothing behind.
/// </summary>
internal static class AtomicFile
{
    /// <exception cref="IOException">The file cannot be written; nothing was left behind.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void WriteAllText(string path, string text)
    {
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(temporary, text);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write already failed; that failure is the one to report.
        }
    }
}
