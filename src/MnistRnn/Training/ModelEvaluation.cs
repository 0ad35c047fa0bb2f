using MnistRnn.Data;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>Loss, accuracy and predictions of a classifier over a whole dataset, without gradients.</summary>
public static partial class ModelEvaluation
{
    /// <summary>Evaluates <paramref name="model"/> on every sequence of <paramref name="data"/>, each read to its own length, in chunks of <paramref name="chunkSize"/>.</summary>
    /// <exception cref="ArgumentException">The model does not fit the data.</exception>
    public static EvaluationResult Evaluate(RecurrentClassifier model, SequenceDataset data, int chunkSize = 1000) =>
        EvaluateWithConfusion(model, data, chunkSize).Result;

    /// <summary>
    /// The class and class probabilities <paramref name="model"/> gives each of <paramref name="sequences"/>, unlabelled
    /// sequences (count, steps, features) float32 on the model's device, each read to its own length when
    /// <paramref name="lengths"/> (count, int64 on the CPU) are given; in evaluation mode and without gradients.
    /// </summary>
    /// <exception cref="ArgumentException">The tensors are not such sequences (the message says what is wrong), or the model does not read their features.</exception>
    public static IReadOnlyList<Prediction> Predict(RecurrentClassifier model, Tensor sequences, Tensor? lengths = null, int chunkSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(model.Classes, 2);
        // Checked as any dataset is; the placeholder labels are never read.
        using var scope = NewDisposeScope();
        using var data = new SequenceDataset(sequences.alias(), zeros(sequences.shape.Length > 0 ? sequences.shape[0] : 0, ScalarType.Int64, sequences.device),
            model.Classes, lengths?.alias());
        return Predict(model, data, chunkSize);
    }

    /// <summary>As <see cref="Predict(RecurrentClassifier, Tensor, Tensor, int)"/>, for the sequences of a dataset; its labels are not read.</summary>
    /// <exception cref="ArgumentException">The model does not fit the data.</exception>
    public static IReadOnlyList<Prediction> Predict(RecurrentClassifier model, SequenceDataset sequences, int chunkSize = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        sequences.EnsureFits(model);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var predictions = new List<Prediction>(sequences.Count);
            for (int start = 0; start < sequences.Count; start += chunkSize)
            {
                using var scope = NewDisposeScope();
                int length = Math.Min(chunkSize, sequences.Count - start);
                var logits = model.forward(sequences.Narrow(start, length), sequences.Lengths?.narrow(0, start, length));
                double[] probabilities = nn.functional.softmax(logits, 1).cpu().to(ScalarType.Float64).data<double>().ToArray();
                double[] scores = logits.cpu().to(ScalarType.Float64).data<double>().ToArray();
                for (int i = 0; i < length; i++)
                {
                    var row = (i * model.Classes)..((i + 1) * model.Classes);
                    double[] probability = probabilities[row];
                    predictions.Add(new Prediction(Array.IndexOf(probability, probability.Max()), probability) { Logits = scores[row] });
                }
            }
            return predictions;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>As <see cref="Evaluate(RecurrentClassifier, SequenceDataset, int)"/>, also counting every (true class, predicted class) pair.</summary>
    /// <exception cref="ArgumentException">The model does not fit the data.</exception>
    public static (EvaluationResult Result, ConfusionMatrix Confusion) EvaluateWithConfusion(RecurrentClassifier model, SequenceDataset data, int chunkSize = 1000)
    {
        data.EnsureFits(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            double lossSum = 0;
            long correct = 0;
            var confusion = new ConfusionMatrix(model.Classes);
            for (int start = 0; start < data.Count; start += chunkSize)
            {
                using var scope = NewDisposeScope();
                int length = Math.Min(chunkSize, data.Count - start);
                var labels = data.Labels.narrow(0, start, length);
                var logits = model.forward(data.Narrow(start, length), data.Lengths?.narrow(0, start, length));
                lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                var predicted = logits.argmax(1);
                correct += predicted.eq(labels).sum().item<long>();
                long[] actualValues = labels.cpu().data<long>().ToArray(), predictedValues = predicted.cpu().data<long>().ToArray();
                for (int i = 0; i < length; i++) confusion.Add((int)actualValues[i], (int)predictedValues[i]);
            }
            return (new EvaluationResult(lossSum / data.Count, correct / (double)data.Count, data.Count), confusion);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
