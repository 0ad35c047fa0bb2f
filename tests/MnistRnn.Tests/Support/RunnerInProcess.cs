using MnistRnn.Runner;

namespace MnistRnn.Tests.Support;

/// <summary>
/// Runs the <c>mnist-rnn</c> command line in this process through <see cref="RunnerApp.RunAsync"/>, with what it writes
/// captured: the same parsing, messages and exit codes as the process, without a process's start-up. For what needs a
/// process (signals, locks between processes, native memory, the allocator, a terminal), use
/// <see cref="RunnerProcess"/>.
/// </summary>
internal static class RunnerInProcess
{
    public static DotnetProcess.Result Run(params string[] args)
    {
        // The thread count and the allocator are the process's: a test sets them only in a process of its own.
        string[] line = [.. args, .. args.Contains("--threads") ? [] : (string[])["--threads", "1"],
            .. args.Contains("--allocator") ? [] : (string[])["--allocator", "system"]];
        using var output = new StringWriter();
        using var error = new StringWriter();
        // A run sets libtorch's thread count for the whole process; the tests after it compute with the count they had.
        int threads = TorchSharp.torch.get_num_threads();
        try
        {
            int exitCode = RunnerApp.RunAsync(line, output, error).GetAwaiter().GetResult();
            return new DotnetProcess.Result(exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
    }
}
