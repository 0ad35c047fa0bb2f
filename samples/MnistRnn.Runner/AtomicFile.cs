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
    public static void WriteAllText(string path, string text) => Write(path, temporary => File.WriteAllText(temporary, text));

    /// <summary>Lets <paramref name="writeTo"/> write the temporary file, then renames it to <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="writeTo">Writes the whole contents to the path it is given.</param>
    /// <param name="overwrite">Whether a file already at <paramref name="path"/> is replaced; when not, the rename fails instead.</param>
    /// <exception cref="IOException">The file cannot be written (or exists, without <paramref name="overwrite"/>); nothing was left behind.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void Write(string path, Action<string> writeTo, bool overwrite = true)
    {
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            writeTo(temporary);
            File.Move(temporary, path, overwrite);
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
