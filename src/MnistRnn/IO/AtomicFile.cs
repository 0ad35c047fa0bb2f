namespace MnistRnn.IO;

/// <summary>
/// Files written whole or not at all: through a temporary file of this process's own in the same folder, flushed to
/// disk and renamed over the target. A reader never sees half a file, two processes writing one path never share a
/// temporary file, and a failed write (a full disk, a killed process) leaves at most a stray temporary file, never a
/// half-written one under the real name. Checkpoints, model files and the runner's outputs all go through here.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>.</summary>
    /// <inheritdoc cref="Write(string, Action{string}, bool)" path="/exception"/>
    public static void WriteAllText(string path, string text) => Write(path, temporary => File.WriteAllText(temporary, text));

    /// <summary>Lets <paramref name="writeTo"/> write the temporary file, then renames it to <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="writeTo">Writes the whole contents to the stream it is given; the stream is flushed to disk after it returns.</param>
    /// <param name="overwrite">Whether a file already at <paramref name="path"/> is replaced; when not, the rename fails instead.</param>
    /// <inheritdoc cref="Write(string, Action{string}, bool)" path="/exception"/>
    public static void WriteStream(string path, Action<Stream> writeTo, bool overwrite = true) => Write(path, temporary =>
    {
        using var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None);
        writeTo(file);
        file.Flush(flushToDisk: true);
    }, overwrite);

    /// <summary>Lets <paramref name="writeTo"/> write the temporary file, for writers that take a path, then renames it to <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="writeTo">Writes the whole contents to the path it is given.</param>
    /// <param name="overwrite">Whether a file already at <paramref name="path"/> is replaced; when not, the rename fails instead.</param>
    /// <exception cref="IOException">
    /// The file cannot be written (or exists, without <paramref name="overwrite"/>); nothing was left behind. The message is
    /// one sentence naming <paramref name="path"/>, never the temporary file, and what to do.
    /// </exception>
    /// <exception cref="UnauthorizedAccessException">The folder is read-only or not this user's to write; the message as above.</exception>
    public static void Write(string path, Action<string> writeTo, bool overwrite = true)
    {
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            writeTo(temporary);
            File.Move(temporary, path, overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw Explained(path, temporary, e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    // errno values that .NET passes on as an IOException's HResult on Linux and macOS.
    private const int NoSpace = 28, ReadOnlyFileSystem = 30, QuotaExceeded = 122;

    /// <summary>What went wrong writing <paramref name="path"/>, as one sentence that names it and says what to do; <paramref name="failure"/> is kept as the inner exception.</summary>
    internal static Exception Explained(string path, string temporary, Exception failure)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } parent ? parent : ".";
        bool refused = failure is UnauthorizedAccessException || failure.HResult == ReadOnlyFileSystem;
        string? sentence =
            Directory.Exists(path) ? $"cannot write {path}: it is a folder; give a file name, in it or elsewhere." :
            File.Exists(folder) ? $"cannot write {path}: {folder} is a file, not a folder; choose a path in a folder." :
            !Directory.Exists(folder) ? $"cannot write {path}: the folder {folder} does not exist; create it first, or choose another." :
            refused ? $"cannot write {path}: {folder} is read-only or not writable by this user; choose a folder you can write to." :
            failure.HResult is NoSpace or QuotaExceeded ? $"cannot write {path}: its disk is full (or the quota spent); free some space, or choose another disk." :
            failure is FileNotFoundException ? $"cannot write {path}: {folder} does not take new files (a special file system such as /proc); choose a folder on a disk." :
            null;
        if (refused) return new UnauthorizedAccessException(sentence, failure);
        return new IOException(sentence ?? $"cannot write {path}: {failure.Message.Replace(temporary, path)}", failure);
    }

    /// <summary>Why <paramref name="folder"/>, meant to hold <paramref name="what"/>, could not be made, as one sentence that names it and says what to do.</summary>
    internal static Exception FolderRefused(string folder, string what, Exception failure)
    {
        string? fileOnTheWay = Ancestors(folder).FirstOrDefault(File.Exists);
        return fileOnTheWay == folder ? new IOException($"cannot keep {what} in {folder}: it is a file, not a folder; choose a folder.", failure)
            : fileOnTheWay is not null ? new IOException($"cannot keep {what} in {folder}: {fileOnTheWay} is a file, not a folder; choose a path in a folder.", failure)
            : failure is UnauthorizedAccessException || failure.HResult == ReadOnlyFileSystem
                ? new UnauthorizedAccessException($"cannot keep {what} in {folder}: its parent is read-only or not writable by this user; choose a folder you can write to.", failure)
            : new IOException($"cannot keep {what} in {folder}: {failure.Message}", failure);
    }

    private static IEnumerable<string> Ancestors(string folder)
    {
        for (string? path = Path.GetFullPath(folder); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path)) yield return path;
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
