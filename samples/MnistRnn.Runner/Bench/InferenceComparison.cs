using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Bench;

/// <summary>Inference of one engine and cell: load time, latency for one image, throughput on the test set.</summary>
internal sealed record InferenceRow(string Engine, string Cell, double LoadMilliseconds, double LatencyMedianMilliseconds, double LatencyP99Milliseconds, double ImagesPerSecond);

/// <summary>
/// The same classifier deployed two ways, on the CPU, in one process: TorchSharp (loading a model file) against ONNX
/// Runtime (loading its ONNX export), for the LSTM and the GRU at hidden 128. Latency is one image per call, as a
/// service answering one request; throughput is the 10,000 test images in batches of 1000.
/// </summary>
internal static class InferenceComparison
{
    public const int Calls = 1000, Batch = 1000;

    public static IReadOnlyList<InferenceRow> Measure(MnistDataset dataset)
    {
        using var test = dataset.Test.ToSequences(SequenceOrder.Rows, dataset.Classes);
        using var onCpu = test.Sequences.cpu();
        float[] pixels = onCpu.contiguous().data<float>().ToArray();
        string folder = Directory.CreateTempSubdirectory("mnist-rnn-bench-").FullName;
        try
        {
            var rows = new List<InferenceRow>();
            foreach (var cell in new[] { CellKind.Lstm, CellKind.Gru })
            {
                string modelFile = Path.Combine(folder, $"{cell.ToName()}.safetensors"), onnxFile = Path.Combine(folder, $"{cell.ToName()}.onnx");
                random.manual_seed(1);
                using (var model = new RecurrentClassifier(cell, dataset.Columns, 128, dataset.Classes))
                {
                    ModelFile.Save(model, modelFile);
                    ModelFile.ExportOnnx(model, onnxFile);
                }
                rows.Add(TorchSharpRow(cell, modelFile, onCpu));
                rows.Add(OnnxRuntimeRow(cell, onnxFile, pixels, test.Count, test.Steps, test.Features));
            }
            return rows;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static InferenceRow TorchSharpRow(CellKind cell, string path, TorchSharp.torch.Tensor images)
    {
        var clock = Stopwatch.StartNew();
        using var model = ModelFile.Load(path);
        model.eval();
        double load = clock.Elapsed.TotalMilliseconds;
        using var noGrad = no_grad();
        void Classify(long start, long count)
        {
            using var scope = NewDisposeScope();
            nn.functional.softmax(model.forward(images.narrow(0, start, count)), 1).data<float>();
        }
        return Row("TorchSharp", cell, load, Classify, images.shape[0]);
    }

    private static InferenceRow OnnxRuntimeRow(CellKind cell, string path, float[] pixels, int count, int steps, int features)
    {
        var clock = Stopwatch.StartNew();
        using var session = new InferenceSession(path);
        double load = clock.Elapsed.TotalMilliseconds;
        void Classify(long start, long batch)
        {
            var input = new DenseTensor<float>(pixels.AsMemory((int)(start * steps * features), (int)(batch * steps * features)), [(int)batch, steps, features]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
            _ = results.First(r => r.Name == "probabilities").AsTensor<float>();
        }
        return Row("ONNX Runtime", cell, load, Classify, count);
    }

    private static InferenceRow Row(string engine, CellKind cell, double loadMilliseconds, Action<long, long> classify, long count)
    {
        classify(0, Batch); // warm-up: first-call allocations and kernel choices
        var latencies = new double[Calls];
        var clock = new Stopwatch();
        for (int i = 0; i < Calls; i++)
        {
            clock.Restart();
            classify(i % count, 1);
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(latencies);
        clock.Restart();
        for (long start = 0; start < count; start += Batch) classify(start, Math.Min(Batch, count - start));
        double throughput = count / clock.Elapsed.TotalSeconds;
        return new InferenceRow(engine, cell.ToName(), Math.Round(loadMilliseconds, 2), Math.Round(latencies[Calls / 2], 4),
            Math.Round(latencies[Calls * 99 / 100], 4), Math.Round(throughput, 0));
    }
}
