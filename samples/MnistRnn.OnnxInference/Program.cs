using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MnistRnn.OnnxInference;

// Classifies MNIST's 10,000 test images with a model from `mnist-rnn export --out model.onnx`, in ONNX Runtime alone,
// and measures it: accuracy, then latency (one image at a time) and throughput (batches of 1000).
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: mnist-rnn-onnx MODEL.onnx [DATA_FOLDER]  (the folder holds t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]; default data/mnist)");
    return 2;
}
string modelPath = args[0], folder = args.Length > 1 ? args[1] : Path.Combine("data", "mnist");
string? images = Locate(folder, "t10k-images-idx3-ubyte"), labels = Locate(folder, "t10k-labels-idx1-ubyte");
if (!File.Exists(modelPath) || images is null || labels is null)
{
    Console.Error.WriteLine(!File.Exists(modelPath) ? $"{modelPath} does not exist; export one with mnist-rnn export --out model.onnx."
        : $"{folder} holds no t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz); give the MNIST folder.");
    return 2;
}

InferenceSession session;
float[] pixels;
byte[] truth;
int count, rows, columns;
try
{
    session = new InferenceSession(modelPath);
    (pixels, count, rows, columns) = IdxImages.ReadImages(images);
    truth = IdxImages.ReadLabels(labels, count);
}
catch (Exception e) when (e is OnnxRuntimeException or InvalidDataException or IOException)
{
    Console.Error.WriteLine(e is OnnxRuntimeException ? $"{modelPath} is not an ONNX model ONNX Runtime can run ({e.Message.Split('\n')[0]})." : e.Message);
    return 3;
}
using (session)
{
    var metadata = session.ModelMetadata.CustomMetadataMap;
    int[] inputShape = session.InputMetadata["input"].Dimensions;
    if (inputShape.Length != 3 || inputShape[1] != rows || inputShape[2] != columns)
    {
        Console.Error.WriteLine($"{modelPath} does not take {rows}x{columns} images (its input is [{string.Join(", ", inputShape)}]); export it from a checkpoint with mnist-rnn export.");
        return 3;
    }
    Console.WriteLine($"{modelPath}: {metadata.GetValueOrDefault("cell")} of hidden size {metadata.GetValueOrDefault("hidden_size")}, " +
        $"{metadata.GetValueOrDefault("layers")} layer(s), {metadata.GetValueOrDefault("sequence_order")} order");

    int[] Classify(int start, int batch)
    {
        var input = new DenseTensor<float>(pixels.AsMemory(start * rows * columns, batch * rows * columns), [batch, rows, columns]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var logits = results.First(r => r.Name == "logits").AsTensor<float>();
        return Enumerable.Range(0, batch).Select(i => Enumerable.Range(0, logits.Dimensions[1]).MaxBy(c => logits[i, c])).ToArray();
    }

    const int Batch = 1000;
    Classify(0, Math.Min(Batch, count));
    var clock = Stopwatch.StartNew();
    int correct = 0;
    for (int start = 0; start < count; start += Batch)
    {
        int batch = Math.Min(Batch, count - start);
        correct += Classify(start, batch).Where((c, i) => c == truth[start + i]).Count();
    }
    double throughput = count / clock.Elapsed.TotalSeconds;
    Console.WriteLine($"test accuracy {correct / (double)count:F5} ({correct} of {count} images)");

    const int Singles = 200;
    var latencies = new double[Singles];
    for (int i = 0; i < Singles; i++)
    {
        clock.Restart();
        Classify(i % count, 1);
        latencies[i] = clock.Elapsed.TotalMilliseconds;
    }
    Array.Sort(latencies);
    Console.WriteLine($"latency {latencies[Singles / 2]:F3} ms per image (median of {Singles}, batch 1); throughput {throughput:F0} images/s (batches of {Batch})");
}
return 0;

static string? Locate(string folder, string name) =>
    new[] { name, name + ".gz" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
