namespace MnistRnn.Training;

/// <summary>Whether a device computes in bfloat16 natively: true, false, or null when this system cannot tell.</summary>
/// <param name="HasIt">True when it has bfloat16 instructions, false when it lacks them, null when unknown.</param>
/// <param name="Description">The device and what was found, for <see cref="PrecisionChoice.Reason"/>.</param>
public sealed record BFloat16Hardware(bool? HasIt, string Description)
{
    // x86's bfloat16 dot products (AVX512_BF16, Cooper Lake and Zen 4 on) and tiles (AMX, Sapphire Rapids on), and Arm's BF16 extension.
    private static readonly string[] X86Flags = ["avx512_bf16", "amx_bf16"];
    private const string ArmFeature = "bf16";

    // /proc/cpuinfo repeats its flags for every logical CPU; the first processor's are enough, and they come early.
    private const int MaxLinesRead = 200;

    /// <summary>A device whose bfloat16 support cannot be asked, such as a GPU.</summary>
    public static BFloat16Hardware Unknown(string device) => new(null, $"{device}, whose bfloat16 support this library cannot ask");

    /// <summary>What <c>/proc/cpuinfo</c> says on Linux; unknown elsewhere or when it cannot be read.</summary>
    public static BFloat16Hardware OfThisCpu()
    {
        if (!OperatingSystem.IsLinux()) return Unknown("this CPU");
        try
        {
            using var reader = new StreamReader("/proc/cpuinfo");
            return FromCpuInfo(ReadLines(reader).Take(MaxLinesRead));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unknown("this CPU");
        }
    }

    /// <summary>The verdict of a Linux <c>/proc/cpuinfo</c>'s lines: its <c>flags</c> (x86) or <c>Features</c> (Arm).</summary>
    internal static BFloat16Hardware FromCpuInfo(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim();
            var flags = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (key == "flags")
            {
                var found = X86Flags.Where(flags.Contains).ToArray();
                return found.Length > 0
                    ? new(true, $"this CPU, which has {string.Join(" and ", found)}")
                    : new(false, $"this CPU has no bfloat16 instructions (neither {string.Join(" nor ", X86Flags)} in /proc/cpuinfo)");
            }
            if (key == "Features")
                return flags.Contains(ArmFeature)
                    ? new(true, $"this CPU, which has {ArmFeature}")
                    : new(false, $"this CPU has no bfloat16 instructions (no {ArmFeature} in /proc/cpuinfo)");
        }
        return Unknown("this CPU");
    }

    private static IEnumerable<string> ReadLines(StreamReader reader)
    {
        while (reader.ReadLine() is { } line) yield return line;
    }
}
