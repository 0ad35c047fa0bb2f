namespace MnistRnn.Runner.FileSystem;

/// <summary>Output folders that must start empty, so no earlier results are overwritten or pruned.</summary>
internal static class EmptyFolder
{
    /// <summary>
    /// Creates <paramref name="path"/> or accepts it if empty, and locks it for this run. Emptiness is checked
    /// again once the lock is held: two runs started together both find the folder empty, and only the one
    /// that locks it first may use it.
    /// </summary>
    /// <exception cref="UserErrorException">
    /// It holds files or another run holds it (exit 2), or it cannot be created (exit 5); the message names <paramref name="flag"/>.
    /// </exception>
    public static FolderLock Claim(string path, string flag)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"{flag}: {path} is a file; give a folder that does not exist yet.");
        EnsureEmpty(full, path, flag);
        bool isNew = !Directory.Exists(full);
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"{flag}: cannot create folder {path} ({e.Message}).");
        }
        var claim = FolderLock.Acquire(full, flag, isNew);
        try
        {
            EnsureEmpty(full, path, flag);
            return claim;
        }
        catch
        {
            claim.Dispose();
            throw;
        }
    }

    // An earlier run's lock file alone does not make a folder hold results.
    private static void EnsureEmpty(string full, string path, string flag)
    {
        if (!Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any(e => Path.GetFileName(e) != FolderLock.FileName)) return;
        // A run still writing there is the better thing to say: its files are on their way, not earlier results.
        // Only a lock file that exists is tried, so no lock file is left in a folder of someone else's results.
        if (File.Exists(Path.Combine(full, FolderLock.FileName)))
            FolderLock.Acquire(full, flag).Dispose();
        throw new UserErrorException(ExitCodes.InvalidArguments,
            $"{flag}: folder {path} already holds files; give a new folder so earlier results are not overwritten.");
    }
}
