namespace MnistRnn.Runner;

/// <summary>Output folders that must start empty, so no earlier results are overwritten or pruned.</summary>
internal static class EmptyFolder
{
    /// <summary>Creates <paramref name="path"/> or accepts it if empty; returns its full path.</summary>
    /// <exception cref="UserErrorException">It holds files (exit 2) or cannot be created (exit 5); the message names <paramref name="flag"/>.</exception>
    public static string Prepare(string path, string flag)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"{flag}: {path} is a file; give a folder that does not exist yet.");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"{flag}: folder {path} already holds files; give a new folder so earlier results are not overwritten.");
        try
        {
            Directory.CreateDirectory(full);
            return full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"{flag}: cannot create folder {path} ({e.Message}).");
        }
    }
}
