using MnistRnn.IO;
using System.CommandLine;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Training;

namespace MnistRnn.Runner.Eval;

/// <summary><c>mnist-rnn eval</c>: test loss and accuracy of a checkpoint, per-class precision and recall, and the confusion matrix.</summary>
internal sealed class EvalCommand(RunnerConsole console)
{
    private readonly RunnerConsole _console = console;

    private readonly ModelSource _source = new();
    private readonly Option<string?> _data = DataFolder.CreateOption();
    private readonly Option<DeviceChoice> _device = DeviceOption.Create();
    private readonly Option<string?> _out = new("--out")
    {
        Description = "Folder for confusion.csv, per-class.csv and confusion.png; it must be new or empty [default: eval-CHECKPOINT-NAME].",
    };

    public Command Build()
    {
        var command = new Command("eval", "Evaluate a checkpoint on the test set: loss, accuracy, per-class precision and recall, confusion matrix.");
        _source.AddTo(command);
        command.Options.Add(_data);
        command.Options.Add(_device);
        command.Options.Add(_out);
        command.SetAction(parse => Run(parse));
        return command;
    }

    private int Run(ParseResult parse)
    {
        var device = DeviceOption.Resolve(parse, _device);
        using var loaded = _source.Load(parse, device, _console.Error);
        var (classifier, info) = (loaded.Classifier, loaded.Info);
        string dataFolder = DataFolder.Resolve(parse.GetValue(_data));
        using var claim = EmptyFolder.Claim(parse.GetValue(_out) ?? $"eval-{Path.GetFileNameWithoutExtension(loaded.Path)}", "--out");
        string outFolder = claim.Folder;

        using var dataset = DataFolder.Load(dataFolder, device);
        int classes = classifier.Model.Classes;
        if (dataset.Rows != classifier.ImageRows || dataset.Columns != classifier.ImageColumns || dataset.Classes > classes)
            throw new UserErrorException(ExitCodes.InvalidData,
                $"--data: {dataFolder} holds {dataset.Rows}x{dataset.Columns} images of {dataset.Classes} classes, but the {loaded.Kind} was trained on " +
                $"{classifier.ImageRows}x{classifier.ImageColumns} images of {classes} classes.");
        var (result, confusion) = classifier.Evaluate(dataset.Test);
        string title = info is null ? $"{classifier.Model.Options}, {classifier.Order.ToName()} order" : $"{info.Architecture}, step {info.Step}";

        _console.Out.WriteLine(loaded.Description);
        _console.Out.WriteLine($"test loss {result.Loss:F5}, accuracy {result.Accuracy:F5} on {result.Count} images");
        _console.Out.WriteLine();
        _console.Out.Write(confusion.PerClassTable());
        _console.Out.WriteLine();
        _console.Out.WriteLine("confusion matrix (rows: true class, columns: predicted class)");
        _console.Out.Write(confusion.ToTable());
        try
        {
            AtomicFile.WriteAllText(Path.Combine(outFolder, "per-class.csv"), confusion.PerClassTable(csv: true));
            AtomicFile.WriteAllText(Path.Combine(outFolder, "confusion.csv"), confusion.ToTable(csv: true));
            ConfusionPlot.Save(confusion, Path.Combine(outFolder, "confusion.png"), $"{title}: test accuracy {result.Accuracy * 100:F2}%");
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: cannot write into {outFolder} ({e.Message}).");
        }
        _console.Out.WriteLine();
        _console.Out.WriteLine($"Wrote per-class.csv, confusion.csv and confusion.png to {outFolder}");
        NextSteps.AfterEvaluation(_console.Error, parse.GetValue(_source.Checkpoint)!);
        return ExitCodes.Success;
    }
}
