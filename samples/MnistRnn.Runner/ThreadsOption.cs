using System.CommandLine;

namespace MnistRnn.Runner;

/// <summary><c>--threads N</c>, accepted by every command: the CPU threads libtorch computes with.</summary>
internal static class Threads
{
    public static readonly Option<int> Option = new("--threads")
    {
        Description = "CPU threads for tensor operations; the default is the machine's logical cores.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        Recursive = true,
    };

    /// <exception cref="UserErrorException">N is below 1.</exception>
    public static void Apply(ParseResult parse)
    {
        int threads = parse.GetValue(Option);
        if (threads < 1) throw new UserErrorException(ExitCodes.InvalidArguments, $"--threads must be at least 1, got {threads}.");
        TorchSharp.torch.set_num_threads(threads);
    }
}
