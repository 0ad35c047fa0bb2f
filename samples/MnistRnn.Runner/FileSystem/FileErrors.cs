namespace MnistRnn.Runner.FileSystem;

/// <summary>What a file or folder operation throws when the disk or the permissions say no, as opposed to a defect.</summary>
internal static class FileErrors
{
    /// <summary>Whether <paramref name="e"/> is an I/O failure or a refused access: the user's to fix, told in one sentence.</summary>
    public static bool Refused(Exception e) => e is IOException or UnauthorizedAccessException;
}
