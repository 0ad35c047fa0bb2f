namespace MnistRnn.Runner.FileSystem;

/// <summary>The TensorBoard folder of <c>--logdir</c>. TensorBoard reads many runs from one folder, so an existing one is fine.</summary>
internal static class LogDirectory
{
    /// <summary>
    /// Creates <paramref name="path"/> if needed and proves it takes files, before any training starts or any
    /// other output is created; null stays null.
    /// </summary>
    /// <exception cref="UserErrorException">It cannot be created or written (exit 5).</exception>
    public static string? Prepare(string? path)
    {
        if (path is null) return null;
        try
        {
            string folder = Directory.CreateDirectory(path).FullName;
            string probe = Path.Combine(folder, $".mnist-rnn-write-test.{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return folder;
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--logdir: cannot write event files in {path} ({e.Message}).");
        }
    }
}
