using MnistRnn.Data;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Evaluates the validation data when it is due, and keeps what early stopping and the best weights need: every
/// validation so far, the best one, how many have passed without improvement, and (for
/// <see cref="TrainingOptions.RestoreBestWeights"/>) a copy of the best weights.
/// </summary>
internal sealed class ValidationTracker : IDisposable
{
    private readonly SequenceDataset _data;
    private readonly TrainingOptions _options;
    private readonly List<ValidationRecord> _history = [];
    private Tensor[]? _bestWeights;

    public ValidationTracker(SequenceDataset data, TrainingOptions options)
    {
        _data = data;
        _options = options;
    }

    public IReadOnlyList<ValidationRecord> History => _history;

    public ValidationRecord? Best { get; private set; }

    /// <summary>Validations in a row that did not improve on <see cref="Best"/>.</summary>
    public int WithoutImprovement { get; private set; }

    /// <summary>The best weights, one tensor per parameter of the model in <c>parameters()</c> order; null unless they are kept.</summary>
    public IReadOnlyList<Tensor>? BestWeights => _bestWeights;

    public bool IsDue(int step, int lastStep) => step % _options.ValidateEvery == 0 || step == lastStep;

    /// <summary>Evaluates <paramref name="model"/> on the validation data after <paramref name="step"/> steps and records it.</summary>
    public ValidationRecord Validate(RecurrentClassifier model, int step)
    {
        var evaluation = ModelEvaluation.Evaluate(model, _data);
        bool improved = Best is null || (_options.Monitor == ValidationMetric.Loss
            ? evaluation.Loss < Best.Loss - _options.MinDelta
            : evaluation.Accuracy > Best.Accuracy + _options.MinDelta);
        WithoutImprovement = improved ? 0 : WithoutImprovement + 1;
        var record = new ValidationRecord(step, evaluation.Loss, evaluation.Accuracy, improved, WithoutImprovement);
        _history.Add(record);
        if (improved)
        {
            Best = record;
            if (_options.RestoreBestWeights) KeepWeights(model);
        }
        return record;
    }

    /// <summary>Copies the best weights into <paramref name="model"/>.</summary>
    public void RestoreBest(RecurrentClassifier model)
    {
        if (_bestWeights is null) return;
        using var noGrad = no_grad();
        foreach (var (parameter, best) in model.parameters().Zip(_bestWeights)) parameter.copy_(best);
    }

    /// <summary>Continues from a checkpoint's record of the validations before it (and its copy of the best weights).</summary>
    public void Restore(IReadOnlyList<ValidationRecord> history, IReadOnlyList<Tensor>? bestWeights, RecurrentClassifier model)
    {
        _history.Clear();
        _history.AddRange(history);
        Best = history.LastOrDefault(v => v.IsBest);
        WithoutImprovement = history.Count == 0 ? 0 : history[^1].ValidationsWithoutImprovement;
        if (bestWeights is null) return;
        KeepWeights(model);
        using var noGrad = no_grad();
        foreach (var (kept, stored) in _bestWeights!.Zip(bestWeights)) kept.copy_(stored);
    }

    // On the model's device, so keeping them costs one copy per improvement and no transfer.
    private void KeepWeights(RecurrentClassifier model)
    {
        using var noGrad = no_grad();
        var parameters = model.parameters().ToArray();
        _bestWeights ??= parameters.Select(p => empty_like(p).DetachFromDisposeScope()).ToArray();
        foreach (var (kept, parameter) in _bestWeights.Zip(parameters)) kept.copy_(parameter);
    }

    public void Dispose()
    {
        foreach (var tensor in _bestWeights ?? []) tensor.Dispose();
    }
}
