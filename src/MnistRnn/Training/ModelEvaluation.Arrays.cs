using MnistRnn.Data;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

// Inference from plain .NET arrays, for callers who do not otherwise touch TorchSharp: each overload makes the tensors on
// the model's device and predicts as the tensor overload does.
public static partial class ModelEvaluation
{
    /// <summary>The class, probabilities and logits <paramref name="model"/> gives one sequence: its steps one after another, <paramref name="features"/> values each.</summary>
    /// <exception cref="ArgumentException">The array is not a whole number of steps, or the model reads another number of features.</exception>
    public static Prediction Predict(RecurrentClassifier model, float[] sequence, int features)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        return Predict(model, [sequence], features)[0];
    }

    /// <summary>The class, probabilities and logits <paramref name="model"/> gives one sequence, <c>sequence[t, f]</c> being feature f of step t.</summary>
    /// <exception cref="ArgumentException">The sequence is empty, or the model reads another number of features.</exception>
    public static Prediction Predict(RecurrentClassifier model, float[,] sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var values = new float[sequence.Length];
        Buffer.BlockCopy(sequence, 0, values, 0, values.Length * sizeof(float));
        return Predict(model, [values], sequence.GetLength(1))[0];
    }

    /// <summary>
    /// The class, probabilities and logits <paramref name="model"/> gives each of <paramref name="sequences"/>, which may
    /// have different lengths: each array holds one sequence's steps one after another, <paramref name="features"/> values
    /// each, and is read to its own end.
    /// </summary>
    /// <exception cref="ArgumentException">A sequence is not a whole number of steps, or the model reads another number of features.</exception>
    public static IReadOnlyList<Prediction> Predict(RecurrentClassifier model, float[][] sequences, int features)
    {
        var (values, steps, lengths) = SequenceDataset.Padded(sequences, features);
        using var scope = NewDisposeScope();
        var device = model.WeightsDevice;
        var input = tensor(values, [sequences.Length, steps, features], ScalarType.Float32).to(device);
        // One length for all is no lengths: the padding-free path, which is also what a model exported to ONNX takes.
        var lengthTensor = lengths.Distinct().Count() == 1 ? null : tensor(lengths.Select(l => (long)l).ToArray(), ScalarType.Int64);
        return Predict(model, input, lengthTensor);
    }

    /// <summary>The class, probabilities and logits <paramref name="model"/> gives each of <paramref name="sequences"/>, <c>sequences[i, t, f]</c> being feature f of step t of sequence i.</summary>
    /// <exception cref="ArgumentException">There are no sequences, or the model reads another number of features.</exception>
    public static IReadOnlyList<Prediction> Predict(RecurrentClassifier model, float[,,] sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Length == 0) throw new ArgumentException("there are no sequences; give at least one, of at least one step.");
        var values = new float[sequences.Length];
        Buffer.BlockCopy(sequences, 0, values, 0, values.Length * sizeof(float));
        using var scope = NewDisposeScope();
        var input = tensor(values, [sequences.GetLength(0), sequences.GetLength(1), sequences.GetLength(2)], ScalarType.Float32)
            .to(model.WeightsDevice);
        return Predict(model, input);
    }
}
