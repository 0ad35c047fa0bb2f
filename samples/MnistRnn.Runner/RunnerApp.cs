using System.CommandLine;
using MnistRnn.Checkpoints;
using MnistRnn.Runner.Bench;
using MnistRnn.Runner.Compare;
using MnistRnn.Runner.Eval;
using MnistRnn.Runner.Export;
using MnistRnn.Runner.Predict;
using MnistRnn.Runner.Report;
using MnistRnn.Runner.Sweep;
using MnistRnn.Runner.Train;
using MnistRnn.Training;

namespace MnistRnn.Runner;

/// <summary>
/// The runner as an app that a process, a test or a host calls: the root command and its subcommands, the one sentence
/// for a command line that does not parse, and the one map from what went wrong to the exit code and the message.
/// </summary>
public static class RunnerApp
{
    /// <summary>Runs the command line <paramref name="args"/>, writing to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, new RunnerConsole(stdout, stderr), handleTermination: true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="args"/> inside a command that is already running (a sweep's trial): Ctrl+C and SIGTERM reach it
    /// through <paramref name="cancellationToken"/>, from the outer command's handler, which is the process's only one. A
    /// progress line goes to <paramref name="terminal"/>, given.
    /// </summary>
    internal static Task<int> RunNestedAsync(string[] args, TextWriter stdout, TextWriter stderr, TextWriter? terminal, CancellationToken cancellationToken) =>
        RunAsync(args, new RunnerConsole(stdout, stderr, terminal), handleTermination: false, cancellationToken);

    private static async Task<int> RunAsync(string[] args, RunnerConsole console, bool handleTermination, CancellationToken cancellationToken)
    {
        var root = CreateRoot(console);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One sentence instead of System.CommandLine's report, which adds the whole help page. An error that
            // quotes what the user typed ("Unrecognized command or argument 'x'") says more than a generic one.
            var error = parse.Errors.OrderBy(e => e.Message.Contains('\'') ? 0 : 1).First();
            var command = root.Subcommands.FirstOrDefault(c => args.Length > 0 && c.Name == args[0]);
            string help = command is null ? "mnist-rnn --help" : $"mnist-rnn {command.Name} --help";
            console.Error.WriteLine(ChoiceOption.Said(error) ? error.Message : $"{error.Message} Run '{help}' for the options.");
            return ExitCodes.InvalidArguments;
        }
        if (EmptyValues.Find(parse) is { } emptyValue)
        {
            console.Error.WriteLine($"{emptyValue}: the value is empty; give a path or value, or leave the option out.");
            return ExitCodes.InvalidArguments;
        }
        try
        {
            // The allocator first: glibc's tuning must be in place before anything (the thread probe included) allocates.
            AllocatorOption.Apply(parse);
            ThreadsOption.Apply(parse);
            HangupSignal.TreatLikeTermination();
            // A new InvocationConfiguration has no termination timeout, which leaves Ctrl+C to kill the process
            // mid-step; with one, Ctrl+C and SIGTERM cancel the token and the step in flight finishes first.
            var invocation = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = handleTermination ? TimeSpan.FromSeconds(5) : null,
                Output = console.Out, Error = console.Error,
            };
            return await parse.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception e)
        {
            var (exitCode, message) = Failure(e);
            console.Error.WriteLine(message);
            return exitCode;
        }
    }

    /// <summary>The root command, its subcommands writing to <paramref name="console"/>.</summary>
    internal static RootCommand CreateRoot(RunnerConsole console)
    {
        var root = new RootCommand("mnist-rnn: train recurrent classifiers (tanh RNN, LSTM, GRU, IRNN) on MNIST read as sequences, and see why some fail.")
        {
            new TrainCommand(console).Build(),
            new CompareCommand(console).Build(),
            new SweepCommand(console).Build(),
            new ReportCommand(console).Build(),
            new EvalCommand(console).Build(),
            new PredictCommand(console).Build(),
            new ExportCommand(console).Build(),
            new BenchCommand(console).Build(),
        };
        root.Options.Add(ThreadsOption.Option);
        root.Options.Add(AllocatorOption.Option);
        return root;
    }

    // The one place a failure becomes an exit code: the user's to fix in one sentence, or a defect with its whole trace.
    private static (int ExitCode, string Message) Failure(Exception e) => e switch
    {
        UserErrorException user => (user.ExitCode, user.Message),
        CheckpointException checkpoint => (ExitCodes.BadCheckpoint, checkpoint.Message),
        // Its message names the flags to change: every command that trains gives its trainer the flags' names.
        TrainingDivergedException diverged => (ExitCodes.Diverged, diverged.Message),
        InsufficientMemoryException memory => (ExitCodes.InvalidArguments, memory.Message),
        DeviceUnavailableException device =>
            (ExitCodes.DeviceUnavailable, $"--device: {device.Message} Use --device cpu, or build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU."),
        _ => (ExitCodes.InternalError, $"mnist-rnn failed unexpectedly; please report this with the details below.{Environment.NewLine}{e}"),
    };
}
