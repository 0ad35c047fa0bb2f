using System.CommandLine;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Options;

/// <summary>
/// What <c>eval</c> and <c>predict</c> read a model from: a checkpoint (or a folder of them), a model file written by
/// <c>mnist-rnn export</c>, or a PyTorch state_dict (<c>.pt</c>, or a <c>.safetensors</c> without an architecture), whose
/// architecture the flags give.
/// </summary>
internal sealed class ModelSource
{
    public readonly Option<string> Checkpoint = new("--checkpoint")
    {
        Description = "Checkpoint file, or a folder whose newest checkpoint to use; or a model exported to .safetensors or .pt, or a PyTorch state_dict.",
        Required = true,
    };
    private readonly Option<CellKind> _model = ChoiceOption.Create("--model", "cell", "For a PyTorch state_dict: the recurrent cell.", ChoiceOption.Cells, CellKind.Lstm);
    private readonly Option<int> _hidden = new("--hidden") { Description = "For a PyTorch state_dict: the hidden size.", DefaultValueFactory = _ => 128 };
    private readonly Option<int> _layers = new("--layers") { Description = "For a PyTorch state_dict: the number of layers.", DefaultValueFactory = _ => 1 };
    private readonly Option<bool> _bidirectional = new("--bidirectional") { Description = "For a PyTorch state_dict: the layers read both directions." };
    private readonly Option<SequenceOrder> _order = ChoiceOption.Create("--order", "order", "For a PyTorch state_dict: how images became sequences.",
        ChoiceOption.Orders, SequenceOrder.Rows);

    /// <summary>MNIST's image size and classes, which a state_dict of MNIST digits was trained on.</summary>
    private const int Side = 28, Classes = 10;

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Checkpoint, _model, _hidden, _layers, _bidirectional, _order }) command.Options.Add(option);
    }

    /// <summary>A loaded model: the classifier, the file it came from, one line saying what it is, and the checkpoint's details when it came from one.</summary>
    public sealed record Loaded(TrainedClassifier Classifier, string Path, string Description, CheckpointInfo? Info) : IDisposable
    {
        /// <summary>"checkpoint" or "model", for messages.</summary>
        public string Kind => Info is null ? "model" : "checkpoint";

        public void Dispose() => Classifier.Dispose();
    }

    /// <summary>Reads the model <see cref="Checkpoint"/> names; notes on which checkpoint a folder gave go to <paramref name="notes"/>.</summary>
    public Loaded Load(ParseResult parse, Device device, TextWriter notes)
    {
        string path = parse.GetValue(Checkpoint)!;
        string extension = Path.GetExtension(path).ToLowerInvariant();
        bool stateDict = extension is ".pt" or ".pth" || (extension == ".safetensors" && !RecordsArchitecture(path));
        var architectureFlags = new Option[] { _model, _hidden, _layers, _bidirectional, _order }.Where(o => parse.GetResult(o) is { Implicit: false }).ToList();
        if (!stateDict && architectureFlags.Count > 0)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"{architectureFlags[0].Name}: {path} records its architecture; the architecture flags are for PyTorch state_dicts, so drop it.");
        try
        {
            if (!stateDict && extension != ".safetensors")
            {
                var checkpoint = CheckpointLocation.Read(path, "--checkpoint", notes, preferBest: true);
                var info = checkpoint.Info;
                return new(TrainedClassifier.From(checkpoint, device), checkpoint.Path, $"checkpoint {checkpoint.Path}: {info.Architecture}, step {info.Step} of {info.Options.Steps}", info);
            }
            if (!stateDict)
            {
                var exported = TrainedClassifier.Load(path, device);
                return new(exported, path, $"model file {path}: {exported.Model.Options}, {exported.Order.ToName()} order", null);
            }
            var architecture = Architecture(parse);
            var order = parse.GetValue(_order);
            var model = ModelFile.LoadStateDict(path, architecture, device);
            return new(TrainedClassifier.From(model, order, Side, Side), path, $"PyTorch state_dict {path}: {architecture}, {order.ToName()} order", null);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or UnauthorizedAccessException or IOException)
        {
            throw new UserErrorException(ExitCodes.BadCheckpoint, $"--checkpoint: {e.Message}");
        }
    }

    // A model file this project wrote carries its architecture and image size; anything else is a bare state_dict.
    private static bool RecordsArchitecture(string path)
    {
        try
        {
            return ModelFile.IsModelFile(path);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new UserErrorException(ExitCodes.BadCheckpoint, $"--checkpoint: {e.Message}");
        }
    }

    private RecurrentClassifierOptions Architecture(ParseResult parse)
    {
        var architecture = new RecurrentClassifierOptions(parse.GetValue(_model), parse.GetValue(_order) == SequenceOrder.Rows ? Side : 1, parse.GetValue(_hidden), Classes)
        {
            Layers = parse.GetValue(_layers),
            Bidirectional = parse.GetValue(_bidirectional),
        };
        return architecture.Problem() is { } problem
            ? throw new UserErrorException(ExitCodes.InvalidArguments, $"the architecture flags describe no model: {problem}")
            : architecture;
    }
}
