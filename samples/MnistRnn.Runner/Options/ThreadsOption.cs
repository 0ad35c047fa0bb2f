using System.CommandLine;
using MnistRnn.Performance;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Options;

/// <summary>
/// <c>--threads N</c>, accepted by every command: the CPU threads libtorch computes with. Without it, the
/// machine's physical cores, or fewer when <see cref="TorchThreads.UseWhatThisMachineCanGive"/> finds that fewer compute faster
/// (a busy machine, where threads wait at every parallel barrier for a descheduled peer; docs/performance.md has the figures).
/// </summary>
internal static class ThreadsOption
{
    public static readonly Option<int?> Option = new("--threads")
    {
        Description = "CPU threads for tensor operations; the default is the machine's physical cores, or fewer when a start-up probe finds the machine busy.",
        Recursive = true,
    };

    /// <summary>How the thread count in effect was decided, for the run summary.</summary>
    public static string Source { get; private set; } = "libtorch";

    /// <summary>
    /// For a resumed run without --threads: the thread count its checkpoint recorded (within this machine's logical cores),
    /// since another count rounds differently and the run would not end as the uninterrupted one.
    /// </summary>
    public static void UseCheckpoints(ParseResult parse, int? recorded)
    {
        if (parse.GetValue(Option) is not null || recorded is not int threads) return;
        if (get_num_threads() != threads) set_num_threads(Math.Min(threads, Environment.ProcessorCount));
        Source = "the checkpoint";
    }

    /// <exception cref="UserErrorException">N is below 1 or above the logical cores this process may use.</exception>
    public static void Apply(ParseResult parse)
    {
        int logical = Environment.ProcessorCount;
        if (parse.GetValue(Option) is { } requested)
        {
            if (requested < 1) throw new UserErrorException(ExitCodes.InvalidArguments, $"--threads must be at least 1, got {requested}.");
            // More threads than CPUs only adds waiting: each parallel region waits for its slowest thread.
            if (requested > logical)
                throw new UserErrorException(ExitCodes.InvalidArguments,
                    $"--threads {requested} is more than the {logical} logical cores this process may use; use 1 to {logical}.");
            set_num_threads(requested);
            Source = "--threads";
            return;
        }
        TorchThreads.UseWhatThisMachineCanGive();
        Source = $"probe of 1 to {TorchThreads.PhysicalCores()} physical cores";
    }
}
