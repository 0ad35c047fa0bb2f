using System.Globalization;
using Google.Protobuf;
using MnistRnn.IO;
using MnistRnn.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Models;

/// <summary>
/// A trained <see cref="RecurrentClassifier"/> in one file, without a trainer: its weights in safetensors under the
/// module's own names (<c>recurrent.weight_ih_l0</c>, ..., <c>classifier.weight</c>, <c>classifier.bias</c>), and its
/// <see cref="RecurrentClassifierOptions"/> in the file's metadata, so loading needs nothing else.
/// </summary>
public static class ModelFile
{
    /// <summary>The extension model files are given.</summary>
    public const string Extension = ".safetensors";

    /// <summary>The metadata value of <c>format</c> that marks a file this class wrote.</summary>
    public const string Format = "mnist-rnn-classifier";

    /// <summary>
    /// Whether <paramref name="path"/> is a model file this class wrote (it records its architecture), rather than a bare
    /// PyTorch <c>state_dict</c> in safetensors, which <see cref="LoadStateDict"/> reads with an architecture given.
    /// </summary>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a safetensors file, or not a regular file within its size limit.</exception>
    public static bool IsModelFile(string path) =>
        SafeTensorsFile.ReadMetadata(path).TryGetValue("format", out string? format) && format == Format;

    private static readonly string[] ArchitectureKeys = ["format", "cell", "input_size", "hidden_size", "layers", "bidirectional", "dropout", "classes"];

    /// <summary>Writes <paramref name="model"/>'s weights and architecture to <paramref name="path"/>, replacing it atomically.</summary>
    /// <param name="model">The model, on any device.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">More metadata to keep beside the architecture (such as how the data was prepared); its keys must not clash with the architecture's.</param>
    /// <exception cref="ArgumentException">A metadata key is one the architecture uses.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(RecurrentClassifier model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var all = Metadata(model, metadata);
        var tensors = model.state_dict().Select(pair =>
        {
            using var scope = NewDisposeScope();
            var values = pair.Value.detach().cpu().to(ScalarType.Float32).contiguous();
            return new SafeTensorsFile.Entry(pair.Key, values.shape, values.data<float>().ToArray());
        }).ToList();
        SafeTensorsFile.Write(path, tensors, all);
    }

    /// <summary>
    /// Writes <paramref name="model"/> as an ONNX model (opset 9) that ONNX Runtime runs without libtorch, replacing
    /// <paramref name="path"/> atomically: one ONNX <c>RNN</c>, <c>LSTM</c> or <c>GRU</c> node per layer, then the classifier.
    /// Input <c>input</c>: sequences (batch, steps, features) float32, any batch and any number of steps; with
    /// <paramref name="variableLength"/> also <c>lengths</c> (batch) int64, each sequence classified at its own last step.
    /// Outputs <c>logits</c> and <c>probabilities</c> (their softmax), both (batch, classes). The architecture and
    /// <paramref name="metadata"/> are the model's <c>metadata_props</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A metadata key is one the architecture uses.</exception>
    /// <exception cref="IOException">The file cannot be written; nothing was left behind.</exception>
    public static void ExportOnnx(RecurrentClassifier model, string path, bool variableLength = false, IReadOnlyDictionary<string, string>? metadata = null) =>
        WriteOnnx(OnnxExport.Build(model, variableLength, Metadata(model, metadata), images: null), path);

    internal static void WriteOnnx(Onnx.Proto.ModelProto onnx, string path, bool overwrite = true) =>
        AtomicFile.WriteStream(path, stream => onnx.WriteTo(stream), overwrite);

    // The architecture as text, the metadata of every file a model is written to, and the caller's own keys.
    internal static Dictionary<string, string> Metadata(RecurrentClassifier model, IReadOnlyDictionary<string, string>? metadata)
    {
        model.EnsureNotDisposed();
        var options = model.Options;
        var all = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["cell"] = options.Cell.ToName(),
            ["input_size"] = Number(options.InputSize),
            ["hidden_size"] = Number(options.HiddenSize),
            ["layers"] = Number(options.Layers),
            ["bidirectional"] = options.Bidirectional ? "true" : "false",
            ["dropout"] = options.Dropout.ToString("R", CultureInfo.InvariantCulture),
            ["classes"] = Number(options.Classes),
        };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (!all.TryAdd(key, value))
                throw new ArgumentException($"metadata key {key} is the architecture's own; name it otherwise.", nameof(metadata));
        }
        return all;
    }

    /// <summary>Reads the metadata of a model file: the architecture's keys and any given to <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a usable model file; the message says why.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        var metadata = SafeTensorsFile.ReadMetadata(path);
        Architecture(path, metadata);
        return metadata;
    }

    /// <summary>Loads the model in <paramref name="path"/> onto <paramref name="device"/> (default CPU), in evaluation mode.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a usable model file: the message names the first missing, unknown or mis-shaped weight, or the metadata at fault.</exception>
    public static RecurrentClassifier Load(string path, Device? device = null)
    {
        Training.DeviceSelection.EnsureAvailable(device);
        var (options, tensors, _) = Read(path);
        return Build(options, tensors.ToDictionary(t => t.Name, t => t.Values), device);
    }

    /// <summary>
    /// Loads a PyTorch <c>state_dict</c> for <paramref name="architecture"/>: a <c>.pt</c> file written by <c>torch.save(model.state_dict(), ...)</c>
    /// or a <c>.safetensors</c> file (its metadata, if any, is not read), of a module with a recurrent layer named <c>recurrent</c>
    /// (batch first) and a linear layer named <c>classifier</c>, as <see cref="RecurrentClassifierOptions.ParameterShapes"/> lists.
    /// The model is in evaluation mode on <paramref name="device"/> (default CPU).
    /// </summary>
    /// <exception cref="ArgumentException">The architecture is not valid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not such a state_dict, or names the first weight that is missing, mis-shaped, not float32 or unknown.</exception>
    public static RecurrentClassifier LoadStateDict(string path, RecurrentClassifierOptions architecture, Device? device = null)
    {
        Training.DeviceSelection.EnsureAvailable(device);
        architecture.EnsureValid();
        bool pickled = path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase);
        // Names and shapes first, from the header alone, so a file of another architecture names its first weight that does not fit.
        if (!pickled) CheckWeights(path, architecture, SafeTensorsFile.ReadShapes(path));
        var values = pickled
            ? PyTorchStateDict.Read(path)
            : SafeTensorsFile.Read(path, architecture.ParameterCount).Tensors.ToDictionary(t => t.Name, t => (t.Shape, t.Values));
        CheckWeights(path, architecture, values.ToDictionary(v => v.Key, v => v.Value.Shape));
        return Build(architecture, values.ToDictionary(v => v.Key, v => v.Value.Values), device);
    }

    private static RecurrentClassifier Build(RecurrentClassifierOptions options, IReadOnlyDictionary<string, float[]> values, Device? device)
    {
        var model = new RecurrentClassifier(options);
        try
        {
            using (var noGrad = no_grad())
            {
                foreach (var (name, parameter) in model.named_parameters())
                {
                    using var stored = tensor(values[name], parameter.shape, ScalarType.Float32);
                    parameter.copy_(stored);
                }
            }
            model.to(device ?? CPU);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (RecurrentClassifierOptions Options, IReadOnlyList<SafeTensorsFile.Entry> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        // The architecture is read first and bounds the weights, so a file claiming a huge model costs nothing.
        var metadata = SafeTensorsFile.ReadMetadata(path);
        var options = Architecture(path, metadata);
        var (tensors, _) = SafeTensorsFile.Read(path, options.ParameterCount);
        // Checked against the shapes the architecture implies before the model is built, so metadata claiming a huge
        // model beside small weights allocates nothing.
        CheckWeights(path, options, tensors.ToDictionary(t => t.Name, t => t.Shape));
        return (options, tensors, metadata);
    }

    // The first missing, mis-shaped or unknown weight, named; in the order the module lists its weights.
    private static void CheckWeights(string path, RecurrentClassifierOptions options, IReadOnlyDictionary<string, long[]> stored)
    {
        var left = new Dictionary<string, long[]>(stored);
        foreach (var (name, shape) in options.ParameterShapes)
        {
            if (!left.Remove(name, out var found))
                throw new InvalidDataException($"{path} has no weight {name}, which a {options} model needs.");
            if (!found.SequenceEqual(shape))
                throw new InvalidDataException(
                    $"{path}: weight {name} has shape ({string.Join(", ", found)}) where a {options} model needs ({string.Join(", ", shape)}).");
        }
        if (left.Keys.FirstOrDefault() is { } unknown)
            throw new InvalidDataException($"{path} holds a weight {unknown} that a {options} model does not have.");
    }

    private static RecurrentClassifierOptions Architecture(string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (ArchitectureKeys.FirstOrDefault(k => !metadata.ContainsKey(k)) is { } missing)
            throw new InvalidDataException($"{path} is not a model file this library wrote: its metadata has no '{missing}'.");
        if (metadata["format"] != Format)
            throw new InvalidDataException($"{path} is not a model file this library wrote: its format is '{metadata["format"]}'.");
        int Integer(string key) =>
            int.TryParse(metadata[key], NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
            : throw new InvalidDataException($"{path}: metadata {key} '{metadata[key]}' is not a whole number.");
        if (!CellKindNames.TryParse(metadata["cell"], out var cell) || !metadata["cell"].All(char.IsAsciiLetterLower))
            throw new InvalidDataException($"{path}: metadata cell '{metadata["cell"]}' names no cell (rnn, lstm, gru, irnn).");
        if (metadata["bidirectional"] is not ("true" or "false"))
            throw new InvalidDataException($"{path}: metadata bidirectional '{metadata["bidirectional"]}' is not true or false.");
        if (!double.TryParse(metadata["dropout"], NumberStyles.Float, CultureInfo.InvariantCulture, out double dropout))
            throw new InvalidDataException($"{path}: metadata dropout '{metadata["dropout"]}' is not a number.");
        var options = new RecurrentClassifierOptions(cell, Integer("input_size"), Integer("hidden_size"), Integer("classes"))
        {
            Layers = Integer("layers"),
            Bidirectional = metadata["bidirectional"] == "true",
            Dropout = dropout,
        };
        return options.Problem() is { } problem ? throw new InvalidDataException($"{path}: the metadata describes no valid model ({problem})") : options;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
