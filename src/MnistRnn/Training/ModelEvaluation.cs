using MnistRnn.Data;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>Loss and accuracy of a classifier over a whole split, without gradients.</summary>
public static class ModelEvaluation
{
    /// <summary>
    /// Evaluates <paramref name="model"/> on every item of <paramref name="split"/>, read in
    /// <paramref name="order"/> (the order it was trained in), in chunks of <paramref name="chunkSize"/>.
    /// </summary>
    public static EvaluationResult Evaluate(RecurrentClassifier model, DatasetSplit split, SequenceOrder order = SequenceOrder.Rows, int chunkSize = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        using var layout = SequenceLayout.For(split, order);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            double lossSum = 0;
            long correct = 0;
            for (int start = 0; start < split.Count; start += chunkSize)
            {
                using var scope = NewDisposeScope();
                int length = Math.Min(chunkSize, split.Count - start);
                var images = split.Images.narrow(0, start, length);
                var labels = split.Labels.narrow(0, start, length);
                var logits = model.call(layout.Arrange(images));
                lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(labels).sum().item<long>();
            }
            return new EvaluationResult(lossSum / split.Count, correct / (double)split.Count, split.Count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
