namespace MnistRnn.Runner;

/// <summary>The TensorBoard folder of <c>--logdir</c>. TensorBoard reads many runs from one folder, so an existing one is fine.</summary>
internal static class LogDirectory
{
    /// <summary>Creates <paramref name="path"/> if needed, before any training starts; null stays null.</summary>
    /// <exception cref="UserErrorException">It cannot be created (exit 5).</exception>
    public static string? Prepare(string? path)
    {
        if (path is null) return null;
        try
        {
            return Directory.CreateDirectory(path).FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--logdir: cannot create folder {path} ({e.Message}).");
        }
    }
}
