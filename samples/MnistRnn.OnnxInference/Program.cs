using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using MnistRnn.Mnist;
using MnistRnn.OnnxInference;
using MnistRnn.Pictures;

// A model from `mnist-rnn export --out model.onnx`, in ONNX Runtime alone. With inputs (pictures, or idx:N for test
// image N), prints each one's class and probabilities as `mnist-rnn predict` does; without, classifies the whole test
// set and measures it: accuracy, latency (one image at a time) and throughput (batches of 1000).
const string Usage = "usage: mnist-rnn-onnx MODEL.onnx [--data FOLDER] [--ink auto|light-on-dark|dark-on-light] [PICTURE | idx:N ...]";
var inputs = new List<string>();
string? modelPath = null, folder = Path.Combine("data", "mnist"), ink = "auto";
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "--data" or "--ink" && i + 1 < args.Length)
    {
        if (args[i] == "--data") folder = args[++i];
        else ink = args[++i];
    }
    else if (args[i].StartsWith("--", StringComparison.Ordinal)) return Fail(2, Usage);
    else if (modelPath is null) modelPath = args[i];
    else inputs.Add(args[i]);
}
if (modelPath is null) return Fail(2, Usage);
InkPolarity polarity;
switch (ink)
{
    case "auto": polarity = InkPolarity.Auto; break;
    case "light-on-dark": polarity = InkPolarity.LightOnDark; break;
    case "dark-on-light": polarity = InkPolarity.DarkOnLight; break;
    default: return Fail(2, $"--ink: unknown value '{ink}'; use auto, light-on-dark or dark-on-light.");
}
if (!File.Exists(modelPath)) return Fail(2, $"{modelPath} does not exist; export one with mnist-rnn export --out model.onnx.");
bool needsTestSet = inputs.Count == 0 || inputs.Any(i => i.StartsWith("idx:", StringComparison.Ordinal));
string? images = Locate(folder, "t10k-images-idx3-ubyte"), labels = Locate(folder, "t10k-labels-idx1-ubyte");
if (needsTestSet && (images is null || labels is null))
    return Fail(2, $"{folder} holds no t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz); give the MNIST folder with --data.");

Classifier classifier;
try
{
    classifier = new Classifier(modelPath);
}
catch (Exception e) when (e is OnnxRuntimeException or InvalidDataException)
{
    return Fail(3, e is OnnxRuntimeException ? $"{modelPath} is not an ONNX model ONNX Runtime can run ({e.Message.Split('\n')[0].Trim()})." : e.Message);
}
using (classifier)
{
    try
    {
        var test = needsTestSet ? IdxImages.Read(images!, labels!) : null;
        if (test is not null && (test.Rows != classifier.Rows || test.Columns != classifier.Columns))
            return Fail(3, $"{folder}: its {test.Rows}x{test.Columns} images do not match the model's {classifier.Rows}x{classifier.Columns}.");
        if (inputs.Count == 0) Measure(classifier, test!, modelPath);
        else Predict(classifier, inputs, test, polarity);
    }
    catch (InvalidDataException e)
    {
        return Fail(3, e.Message);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        return Fail(3, e.Message);
    }
}
return 0;

static void Predict(Classifier classifier, List<string> inputs, IdxImages? test, InkPolarity polarity)
{
    foreach (string input in inputs)
    {
        float[] pixels;
        int? label = null;
        if (input.StartsWith("idx:", StringComparison.Ordinal))
        {
            if (!int.TryParse(input.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= test!.Count)
                throw new InvalidDataException($"{input}: the test set has images 0 to {test!.Count - 1}; write idx:N.");
            pixels = test.Pixels.AsSpan(index * test.Rows * test.Columns, test.Rows * test.Columns).ToArray();
            label = test.Labels[index];
        }
        else
        {
            var file = new FileInfo(input);
            if (!file.Exists || file.Length > PictureDecoder.MaxBytes)
                throw new InvalidDataException(file.Exists ? $"{input}: larger than {PictureDecoder.MaxBytes >> 20} MB; not a picture of one digit." : $"{input} does not exist.");
            var picture = PictureDecoder.Decode(File.ReadAllBytes(input), input);
            pixels = DigitImagePreparation.ToMnistStyle(picture, polarity, classifier.Rows, classifier.Columns);
        }
        float[] probabilities = classifier.Probabilities(pixels, 1)[0];
        int best = Array.IndexOf(probabilities, probabilities.Max());
        string labelText = label is int l ? $" (label {l})" : "";
        string all = string.Join(" ", probabilities.Select((p, c) => $"{c}:{p.ToString("F3", CultureInfo.InvariantCulture)}"));
        Console.WriteLine($"{input}: {best}{labelText}, p={probabilities[best].ToString("F3", CultureInfo.InvariantCulture)}  [{all}]");
    }
}

static void Measure(Classifier classifier, IdxImages test, string modelPath)
{
    var metadata = classifier.Metadata;
    Console.WriteLine($"{modelPath}: {metadata.GetValueOrDefault("cell")} of hidden size {metadata.GetValueOrDefault("hidden_size")}, " +
        $"{metadata.GetValueOrDefault("layers")} layer(s), {metadata.GetValueOrDefault("sequence_order")} order");
    const int Batch = 1000;
    int size = test.Rows * test.Columns;
    int Correct(int start, int count) => classifier.Probabilities(test.Pixels.AsMemory(start * size, count * size), count)
        .Select((p, i) => Array.IndexOf(p, p.Max()) == test.Labels[start + i] ? 1 : 0).Sum();
    Correct(0, Math.Min(Batch, test.Count));
    var clock = Stopwatch.StartNew();
    int correct = 0;
    for (int start = 0; start < test.Count; start += Batch) correct += Correct(start, Math.Min(Batch, test.Count - start));
    double throughput = test.Count / clock.Elapsed.TotalSeconds;
    Console.WriteLine($"test accuracy {correct / (double)test.Count:F5} ({correct} of {test.Count} images)");

    const int Singles = 1000;
    var latencies = new double[Singles];
    for (int i = 0; i < Singles; i++)
    {
        clock.Restart();
        classifier.Probabilities(test.Pixels.AsMemory(i % test.Count * size, size), 1);
        latencies[i] = clock.Elapsed.TotalMilliseconds;
    }
    Array.Sort(latencies);
    Console.WriteLine($"latency {latencies[Singles / 2]:F3} ms per image (median of {Singles}, batch 1; p99 {latencies[Singles * 99 / 100]:F3} ms); " +
        $"throughput {throughput:F0} images/s (batches of {Batch})");
}

static int Fail(int code, string message)
{
    Console.Error.WriteLine(message);
    return code;
}

static string? Locate(string folder, string name) =>
    new[] { name, name + ".gz" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
