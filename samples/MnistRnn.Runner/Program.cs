using System.CommandLine;
using MnistRnn.Runner;
using MnistRnn.Training;

var root = new RootCommand("mnist-rnn: train recurrent classifiers (tanh RNN, LSTM, GRU) on MNIST read row by row.")
{
    new TrainCommand().Build(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One sentence for the first problem, then where to look; System.CommandLine's own report adds the whole help page.
    Console.Error.WriteLine($"{parse.Errors[0].Message} Run 'mnist-rnn {string.Join(' ', args.Take(1))} --help' for the options.");
    return ExitCodes.InvalidArguments;
}

try
{
    // A new InvocationConfiguration has no termination timeout, which leaves Ctrl+C to kill the process
    // mid-step; with one, Ctrl+C and SIGTERM cancel the token and the step in flight finishes first.
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(5) });
}
catch (UserErrorException e)
{
    Console.Error.WriteLine(e.Message);
    return e.ExitCode;
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
