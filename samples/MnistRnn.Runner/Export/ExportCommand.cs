using MnistRnn.IO;
using System.CommandLine;
using MnistRnn.Mnist;
using TorchSharp.PyBridge;

namespace MnistRnn.Runner.Export;

/// <summary>
/// <c>mnist-rnn export</c>: a checkpoint's model as a PyTorch state_dict, in safetensors (with the architecture in its
/// metadata) or in PyTorch's own <c>.pt</c> format, which plain <c>torch.load</c> reads (written by TorchSharp.PyBridge);
/// or as an ONNX model that takes images, for ONNX Runtime and no libtorch.
/// </summary>
internal sealed class ExportCommand(RunnerConsole console)
{
    private readonly RunnerConsole _console = console;

    private readonly Option<string> _checkpoint = new("--checkpoint")
    {
        Description = "Checkpoint file, or a folder whose newest checkpoint to use.",
        Required = true,
    };
    private readonly Option<string> _out = new("--out")
    {
        Description = "The file to write, ending in .safetensors or .pt (PyTorch) or .onnx (ONNX Runtime); it must not exist yet.",
        Required = true,
    };

    public Command Build()
    {
        var command = new Command("export", "Export a checkpoint's model: for PyTorch, weights under PyTorch's state_dict names as .safetensors or .pt; or as an ONNX model (.onnx) that takes images, for ONNX Runtime.");
        command.Options.Add(_checkpoint);
        command.Options.Add(_out);
        command.SetAction(parse => Run(parse));
        return command;
    }

    private int Run(ParseResult parse)
    {
        string output = parse.GetValue(_out)!;
        string extension = Path.GetExtension(output).ToLowerInvariant();
        if (extension is not (".safetensors" or ".pt" or ".onnx"))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--out: {output} must end in .safetensors or .pt (for PyTorch) or .onnx (for ONNX Runtime).");
        if (File.Exists(output) || Directory.Exists(output))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--out: {output} already exists; give a new file name, so nothing is overwritten.");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(output));
        if (folder is null || !Directory.Exists(folder))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--out: the folder of {output} does not exist; create it first.");
        var checkpoint = CheckpointLocation.Read(parse.GetValue(_checkpoint)!, "--checkpoint", _console.Error, preferBest: true);
        using var classifier = TrainedClassifier.From(checkpoint);
        try
        {
            // Not over a file that appeared since the check above.
            if (extension == ".onnx") classifier.ExportOnnx(output, overwrite: false);
            else AtomicFile.Write(output, extension == ".safetensors" ? classifier.Save : temporary => classifier.Model.save_py(temporary), overwrite: false);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            // The library's sentence names the file and what to do.
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: {e.Message}");
        }
        _console.Out.WriteLine($"exported the {checkpoint.Info.Architecture} model of {checkpoint.Path} (step {checkpoint.Info.Step}) to {output}");
        return ExitCodes.Success;
    }
}
