using System.CommandLine;
using MnistRnn.Performance;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Options;

/// <summary>
/// <c>--threads N</c>, accepted by every command: the CPU threads libtorch computes with. Without it, a command that trains
/// leaves the count to the trainer (<see cref="TrainingOptions.Threads"/> unset), and any other command takes what
/// <see cref="TorchThreads.UseWhatThisMachineCanGive"/> finds: the physical cores that other work leaves free.
/// </summary>
internal static class ThreadsOption
{
    public static readonly Option<int?> Option = new("--threads")
    {
        Description = "CPU threads for tensor operations; the default is the machine's physical cores, fewer when other work keeps some busy at start-up, " +
            "or a resumed checkpoint's count.",
        Recursive = true,
    };

    /// <summary>The commands whose trainer decides the count when --threads is not given, and records it in the run's checkpoints.</summary>
    private static readonly string[] Training = ["train"];

    /// <summary>The count --threads gave, for the trainer's options; null without the flag.</summary>
    public static int? Given { get; private set; }

    /// <summary>A training run's count as its summary names who chose it.</summary>
    public static string SourceOf(ThreadChoice choice) => choice.Source switch
    {
        ThreadSource.Given => "--threads",
        ThreadSource.Checkpoint => "the checkpoint",
        ThreadSource.SetBefore => "set before training",
        _ => "load",
    };

    /// <exception cref="UserErrorException">N is below 1 or above the logical cores this process may use.</exception>
    public static void Apply(ParseResult parse)
    {
        int logical = Environment.ProcessorCount;
        Given = parse.GetValue(Option);
        if (Given is int requested)
        {
            if (!TorchThreads.IsUsable(requested))
                throw new UserErrorException(ExitCodes.InvalidArguments, requested < 1 ? $"--threads must be at least 1, got {requested}."
                    : $"--threads {requested} is more than the {logical} logical cores this process may use; use 1 to {logical}.");
            set_num_threads(requested);
            return;
        }
        if (Training.Contains(parse.CommandResult.Command.Name)) return;
        TorchThreads.UseWhatThisMachineCanGive();
    }
}
