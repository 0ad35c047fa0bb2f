namespace MnistRnn.IO;

/// <summary>
/// Opens input files only when they are regular files with contents, within a size limit. A FIFO blocks
/// in open() until a writer appears and a device such as /dev/zero never ends; both report a size of 0,
/// as do empty files, so a size of 0 is refused before the file is opened, and no more than the size
/// found is ever read.
/// </summary>
public static class RegularFile
{
    /// <summary>The size of <paramref name="path"/>, checked to be a regular file of 1 to <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest size accepted.</param>
    /// <param name="what">What the file should be, for messages ("checkpoint", "picture").</param>
    /// <exception cref="FileNotFoundException">It does not exist (or is a folder).</exception>
    /// <exception cref="InvalidDataException">It is empty, not a regular file, or larger than <paramref name="maxBytes"/>.</exception>
    public static long Check(string path, long maxBytes, string what)
    {
        var file = new FileInfo(path);
        // A link's own size is the length of its target's name: judge the file it finally points to.
        if (file.Exists && file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) file = target;
        if (!file.Exists)
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path} is a folder, not a {what} file." : $"{path}: no such {what} file.", path);
        long length = file.Length;
        if (length == 0)
            throw new InvalidDataException($"{path} is empty or not a regular file (a pipe or a device); give a {what} file.");
        if (length > maxBytes)
            throw new InvalidDataException($"{path}: {length:N0} bytes is more than a {what} file may have ({maxBytes:N0}); is it the right file?");
        return length;
    }

    /// <summary>Opens <paramref name="path"/> for reading after <see cref="Check"/>; the stream's length is the size checked.</summary>
    /// <inheritdoc cref="Check" path="/exception"/>
    /// <exception cref="IOException">It cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read.</exception>
    public static FileStream OpenRead(string path, long maxBytes, string what)
    {
        Check(path, maxBytes, what);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    /// <summary>All bytes of <paramref name="path"/> after <see cref="Check"/>.</summary>
    /// <inheritdoc cref="OpenRead" path="/exception"/>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        long length = Check(path, maxBytes, what);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var bytes = new byte[length];
        int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        // A file that shrank since its size was read is as good as truncated.
        if (read < bytes.Length)
            throw new InvalidDataException($"{path}: the file shrank from {length:N0} to {read:N0} bytes while it was read.");
        return bytes;
    }
}
