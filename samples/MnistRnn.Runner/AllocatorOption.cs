using System.CommandLine;
using MnistRnn.Performance;

namespace MnistRnn.Runner;

/// <summary><c>--allocator tuned|system</c>, accepted by every command: whether to apply <see cref="NativeMemory"/>'s glibc tuning.</summary>
internal static class AllocatorOption
{
    public static readonly Option<string> Option = new("--allocator")
    {
        Description = "tuned keeps freed native memory for reuse (up to twice as fast at large batches; the working set stays at its high-water mark); system leaves glibc's defaults.",
        HelpName = "tuned|system",
        DefaultValueFactory = _ => "tuned",
        Recursive = true,
    };

    /// <summary>The allocator in effect: tuned only where glibc accepted the tuning.</summary>
    public static string InEffect { get; private set; } = "system";

    /// <exception cref="UserErrorException">The value is neither tuned nor system.</exception>
    public static void Apply(ParseResult parse)
    {
        switch (parse.GetValue(Option))
        {
            case "tuned":
                if (NativeMemory.KeepFreedMemoryInProcess()) InEffect = "tuned";
                break;
            case "system":
                break;
            case var other:
                throw new UserErrorException(ExitCodes.InvalidArguments, $"--allocator: unknown value '{other}'; use tuned or system.");
        }
    }
}
