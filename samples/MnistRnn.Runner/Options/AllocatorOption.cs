using System.CommandLine;
using MnistRnn.Performance;

namespace MnistRnn.Runner.Options;

/// <summary><c>--allocator tuned|system</c>, accepted by every command: whether to apply <see cref="NativeMemory"/>'s glibc tuning.</summary>
internal static class AllocatorOption
{
    /// <summary>The allocators --allocator names.</summary>
    public enum Allocator
    {
        /// <summary><see cref="NativeMemory.KeepFreedMemoryInProcess"/>'s tuning.</summary>
        Tuned,

        /// <summary>glibc's defaults.</summary>
        System,
    }

    public static readonly Option<Allocator> Option = CreateOption();

    private static Option<Allocator> CreateOption()
    {
        var option = ChoiceOption.Create("--allocator", "value",
            "tuned keeps freed native memory for reuse (faster at large batches, see docs/performance.md; the working set stays at its high-water mark); system leaves glibc's defaults.",
            [("tuned", Allocator.Tuned), ("system", Allocator.System)], Allocator.Tuned);
        option.Recursive = true;
        return option;
    }

    /// <summary>The allocator in effect: tuned only where glibc accepted the tuning.</summary>
    public static string InEffect { get; private set; } = "system";

    public static void Apply(ParseResult parse)
    {
        if (parse.GetValue(Option) == Allocator.Tuned && NativeMemory.KeepFreedMemoryInProcess()) InEffect = "tuned";
    }
}
