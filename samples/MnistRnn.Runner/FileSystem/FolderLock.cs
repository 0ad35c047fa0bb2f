namespace MnistRnn.Runner.FileSystem;

/// <summary>
/// A run's claim on its output folder: an exclusive lock on the folder's <c>.lock</c> file, held until the
/// run ends. The kernel drops the lock when the process dies, however it dies, so a killed run never
/// leaves a folder locked; the file itself stays, empty, since deleting it would let a run that opened it
/// a moment before believe it holds the lock too.
/// </summary>
internal sealed class FolderLock : IDisposable
{
    /// <summary>The lock file's name in every folder a run owns.</summary>
    public const string FileName = ".lock";

    private readonly FileStream _lock;
    private readonly bool _folderIsNew;

    private FolderLock(string folder, FileStream lockFile, bool folderIsNew)
    {
        Folder = folder;
        _lock = lockFile;
        _folderIsNew = folderIsNew;
    }

    /// <summary>The folder's full path.</summary>
    public string Folder { get; }

    /// <summary>Takes the lock of <paramref name="folder"/>, which must exist.</summary>
    /// <exception cref="FolderBusyException">Another run holds it (exit 2).</exception>
    /// <exception cref="UserErrorException">The lock file cannot be created (exit 5): the folder is read-only, or something else is in its place.</exception>
    public static FolderLock Acquire(string folder, string flag, bool folderIsNew = false)
    {
        string path = Path.Combine(folder, FileName);
        try
        {
            // FileShare.None is an exclusive, non-blocking flock() on Linux and macOS, an exclusive open on Windows.
            return new FolderLock(folder, new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), folderIsNew);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new FolderBusyException($"{flag}: another mnist-rnn run is using folder {folder}; wait for it to end or give another folder.");
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"{flag}: cannot create the lock file in {folder} ({e.Message}).");
        }
    }

    /// <summary>Releases the lock; a folder this run created and left with nothing but the lock file is removed.</summary>
    public void Dispose()
    {
        _lock.Dispose();
        if (!_folderIsNew) return;
        try
        {
            if (Directory.EnumerateFileSystemEntries(Folder).All(e => Path.GetFileName(e) == FileName))
                Directory.Delete(Folder, recursive: true);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            // Only tidying: a folder that stays behind is empty.
        }
    }
}
