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
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Canceled.");
    return ExitCodes.Canceled;
}
