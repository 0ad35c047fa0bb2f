using System.CommandLine;
using MnistRnn.Runner;
using MnistRnn.Runner.Bench;
using MnistRnn.Runner.Compare;
using MnistRnn.Checkpoints;
using MnistRnn.Training;

var root = new RootCommand("mnist-rnn: train recurrent classifiers (tanh RNN, LSTM, GRU, IRNN) on MNIST read as sequences, and see why some fail.")
{
    new TrainCommand().Build(),
    new CompareCommand().Build(),
    new EvalCommand().Build(),
    new PredictCommand().Build(),
    new ExportCommand().Build(),
    new BenchCommand().Build(),
};
root.Options.Add(ThreadsOption.Option);
root.Options.Add(AllocatorOption.Option);

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One sentence instead of System.CommandLine's report, which adds the whole help page. An error that
    // quotes what the user typed ("Unrecognized command or argument 'x'") says more than a generic one.
    var error = parse.Errors.OrderBy(e => e.Message.Contains('\'') ? 0 : 1).First();
    var command = root.Subcommands.FirstOrDefault(c => args.Length > 0 && c.Name == args[0]);
    string help = command is null ? "mnist-rnn --help" : $"mnist-rnn {command.Name} --help";
    Console.Error.WriteLine($"{error.Message} Run '{help}' for the options.");
    return ExitCodes.InvalidArguments;
}

if (EmptyValues.Find(parse) is { } emptyValue)
{
    Console.Error.WriteLine($"{emptyValue}: the value is empty; give a path or value, or leave the option out.");
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
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(5) });
}
catch (UserErrorException e)
{
    Console.Error.WriteLine(e.Message);
    return e.ExitCode;
}
catch (CheckpointException e)
{
    Console.Error.WriteLine(e.Message);
    return ExitCodes.BadCheckpoint;
}
catch (InsufficientMemoryException e)
{
    Console.Error.WriteLine(e.Message);
    return ExitCodes.InvalidArguments;
}
catch (DeviceUnavailableException e)
{
    Console.Error.WriteLine($"--device: {e.Message} Use --device cpu, or build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU.");
    return ExitCodes.DeviceUnavailable;
}
catch (Exception e)
{
    // Not a user error but a defect: keep the whole trace for the bug report.
    Console.Error.WriteLine($"mnist-rnn failed unexpectedly; please report this with the details below.{Environment.NewLine}{e}");
    return ExitCodes.InternalError;
}
