using System.CommandLine;
using System.Globalization;
using MnistRnn.Mnist;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Predict;

/// <summary><c>mnist-rnn predict</c>: the digit a checkpoint sees in each picture or test image.</summary>
internal sealed class PredictCommand(RunnerConsole console)
{
    private readonly RunnerConsole _console = console;

    private const string IdxPrefix = "idx:";

    private readonly ModelSource _source = new();
    private readonly Argument<string[]> _inputs = new("INPUT")
    {
        Description = "A PNG, JPEG, GIF, BMP or WebP picture of one digit (any size), or idx:N for test image N of --data.",
        Arity = ArgumentArity.OneOrMore,
    };
    private readonly Option<InkPolarity> _ink = ChoiceOption.Create("--ink", "value",
        "Which way round the pictures are: auto (decide from the border), light-on-dark (as MNIST) or dark-on-light (pen on paper).", ChoiceOption.Inks, InkPolarity.Auto);
    private readonly Option<bool> _json = new("--json") { Description = "Print one JSON document instead of text." };
    private readonly Option<string?> _data = DataFolder.CreateOption("the MNIST-format IDX files that idx:N reads");
    private readonly Option<DeviceChoice> _device = DeviceOption.Create();

    public Command Build()
    {
        var command = new Command("predict", "Print the digit a checkpoint sees in each picture or test image, with the probability of every class.");
        _source.AddTo(command);
        command.Options.Add(_ink);
        command.Options.Add(_json);
        command.Options.Add(_data);
        command.Options.Add(_device);
        command.Arguments.Add(_inputs);
        command.SetAction(parse => Run(parse));
        return command;
    }

    private sealed record Answer(string Input, int Class, IReadOnlyList<double> Probabilities, int? Label);

    private int Run(ParseResult parse)
    {
        var polarity = parse.GetValue(_ink);
        var device = DeviceOption.Resolve(parse, _device);
        string[] inputs = parse.GetValue(_inputs)!;
        // idx:N indices are checked for form now and for range once the data is loaded; pictures are all
        // decoded before any prediction, so a bad one stops the command before it prints anything.
        var indices = inputs.Where(i => i.StartsWith(IdxPrefix, StringComparison.Ordinal)).Distinct().ToDictionary(i => i, ParseIndex);
        using var loaded = _source.Load(parse, device, _console.Error);
        var classifier = loaded.Classifier;
        var pictureInputs = inputs.Where(i => !indices.ContainsKey(i)).Distinct().ToList();
        if (pictureInputs.Count > 0 && !classifier.AcceptsPictures)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"{pictureInputs[0]}: the {loaded.Kind}'s model was trained on {classifier.ImageRows}x{classifier.ImageColumns} images, too small to draw a " +
                $"digit picture into (at least {DigitImagePreparation.MinSide}x{DigitImagePreparation.MinSide}); give idx:N inputs instead.");
        var pictures = pictureInputs.ToDictionary(i => i, ImageFile.Read);

        using var dataset = indices.Count == 0 ? null : DataFolder.Load(DataFolder.Resolve(parse.GetValue(_data)), CPU);
        var answers = new List<Answer>();
        foreach (string input in inputs)
        {
            using var scope = NewDisposeScope();
            if (indices.TryGetValue(input, out int index))
            {
                if (index >= dataset!.Test.Count)
                    throw new UserErrorException(ExitCodes.InvalidArguments, $"{input}: the test set has images 0 to {dataset.Test.Count - 1}.");
                if (dataset.Rows != classifier.ImageRows || dataset.Columns != classifier.ImageColumns)
                    throw new UserErrorException(ExitCodes.InvalidData,
                        $"--data: its {dataset.Rows}x{dataset.Columns} images do not match the {loaded.Kind}'s {classifier.ImageRows}x{classifier.ImageColumns}.");
                var prediction = classifier.Predict(dataset.Test.Images[index]);
                answers.Add(new Answer(input, prediction.Class, prediction.Probabilities, (int)dataset.Test.Labels[index].item<long>()));
            }
            else
            {
                var prediction = classifier.Predict(pictures[input], polarity);
                answers.Add(new Answer(input, prediction.Class, prediction.Probabilities, null));
            }
        }
        Print(answers, parse.GetValue(_json));
        return ExitCodes.Success;
    }

    private static int ParseIndex(string input) =>
        int.TryParse(input.AsSpan(IdxPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? index
            : throw new UserErrorException(ExitCodes.InvalidArguments, $"{input}: write idx:N with N a test image number, such as idx:0.");

    private void Print(IReadOnlyList<Answer> answers, bool json)
    {
        if (json)
        {
            _console.Out.WriteLine(JsonOutput.Serialize(answers));
            return;
        }
        foreach (var answer in answers)
        {
            string label = answer.Label is int l ? $" (label {l})" : "";
            string probabilities = string.Join(" ", answer.Probabilities.Select((p, c) => $"{c}:{p.ToString("F3", CultureInfo.InvariantCulture)}"));
            _console.Out.WriteLine($"{answer.Input}: {answer.Class}{label}, p={answer.Probabilities[answer.Class].ToString("F3", CultureInfo.InvariantCulture)}  [{probabilities}]");
        }
    }
}
