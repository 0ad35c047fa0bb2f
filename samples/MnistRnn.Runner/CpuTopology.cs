namespace MnistRnn.Runner;

/// <summary>How many physical cores this process may use.</summary>
internal static class CpuTopology
{
    /// <summary>
    /// The logical cores this process may use (affinity and container quota, as .NET counts them) scaled by
    /// the machine's share of physical cores: two hyperthreads of one core share its vector units, so a
    /// second libtorch thread on them mostly waits.
    /// </summary>
    public static int PhysicalCores()
    {
        int logical = Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux()) return logical;
        try
        {
            var siblingLists = Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*")
                .Where(folder => Path.GetFileName(folder)[3..].All(char.IsAsciiDigit))
                .Select(folder => Path.Combine(folder, "topology", "thread_siblings_list"))
                .Where(File.Exists)
                .Select(file => File.ReadAllText(file).Trim())
                .ToList();
            if (siblingLists.Count == 0) return logical;
            int cores = siblingLists.Distinct().Count();
            return Math.Max(1, (int)Math.Round(logical * (double)cores / siblingLists.Count));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return logical;
        }
    }
}
