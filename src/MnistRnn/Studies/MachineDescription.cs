using System.Runtime.InteropServices;

namespace MnistRnn.Studies;

/// <summary>This machine in words, recorded with a distribution so that a figure is never read without the machine that made it.</summary>
internal static class MachineDescription
{
    /// <summary>CPU model, logical cores, operating system and libtorch: <c>AMD EPYC 9R14, 2 logical cores, Linux x64, libtorch 2.10.0</c>.</summary>
    public static string Current { get; } = Describe();

    private static string Describe()
    {
        string cpu = CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString();
        string os = OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "macOS" : RuntimeInformation.OSDescription;
        return $"{cpu}, {Environment.ProcessorCount} logical cores, {os} {RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3)}";
    }

    private static string? CpuModel()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
