using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MnistRnn.OnnxInference;

/// <summary>An exported image classifier in ONNX Runtime: images (batch, rows, columns) in [0, 1] in, class probabilities out.</summary>
internal sealed class Classifier : IDisposable
{
    private readonly InferenceSession _session;

    /// <exception cref="OnnxRuntimeException">The file is not a model ONNX Runtime can run.</exception>
    /// <exception cref="InvalidDataException">The model does not take images.</exception>
    public Classifier(string path)
    {
        _session = new InferenceSession(path);
        int[] shape = _session.InputMetadata.TryGetValue("input", out var input) ? input.Dimensions : [];
        if (shape.Length != 3 || shape[1] < 1 || shape[2] < 1 || !_session.OutputMetadata.ContainsKey("probabilities"))
        {
            _session.Dispose();
            throw new InvalidDataException($"{path} is not an image classifier (its input is [{string.Join(", ", shape)}]); export one from a checkpoint with mnist-rnn export.");
        }
        (Rows, Columns) = (shape[1], shape[2]);
        Metadata = _session.ModelMetadata.CustomMetadataMap;
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>The architecture and how images became sequences, as the exporter recorded them.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Class probabilities of <paramref name="count"/> images, row by row in <paramref name="pixels"/>.</summary>
    public float[][] Probabilities(Memory<float> pixels, int count)
    {
        var input = new DenseTensor<float>(pixels, [count, Rows, Columns]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var probabilities = results.First(r => r.Name == "probabilities").AsTensor<float>();
        int classes = probabilities.Dimensions[1];
        return Enumerable.Range(0, count).Select(i => Enumerable.Range(0, classes).Select(c => probabilities[i, c]).ToArray()).ToArray();
    }

    public void Dispose() => _session.Dispose();
}
