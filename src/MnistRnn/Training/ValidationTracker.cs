using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Evaluates the validation data when it is due, and keeps what early stopping and the best weights need: every
/// validation so far, the best one, how many have passed without improvement, and (for
/// <see cref="TrainingOptions.RestoreBestWeights"/>) a copy of the best weights.
/// </summary>
internal sealed class ValidationTracker : IDisposable, IStateOwner
{
    private readonly SequenceDataset _data;
    private readonly TrainingOptions _options;
    private readonly RecurrentClassifier _model;
    private readonly List<ValidationRecord> _history = [];
    private Tensor[]? _bestWeights;

    public ValidationTracker(SequenceDataset data, TrainingOptions options, RecurrentClassifier model)
    {
        _data = data;
        _options = options;
        _model = model;
    }

    public IReadOnlyList<ValidationRecord> History => _history;

    public ValidationRecord? Best { get; private set; }

    /// <summary>Validations in a row that did not improve on <see cref="Best"/>.</summary>
    public int WithoutImprovement { get; private set; }

    /// <summary>The best weights, one tensor per parameter of the model in <c>parameters()</c> order; null unless they are kept.</summary>
    public IReadOnlyList<Tensor>? BestWeights => _bestWeights;

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

    /// <summary>The validations' section of a checkpoint: every validation so far and, when they are kept, the best weights by weight name.</summary>
    public const string SectionName = "validation";

    /// <summary>The rule of its section: validations up to the checkpoint's step, best weights shaped as the model's.</summary>
    internal static readonly SectionRule Rule = new(SectionName, Required: false, (section, at) => SectionProblem(section, at.Info.Step, at.Model));
    private const string HistoryName = "history";
    private const string BestPrefix = "best/";

    string IStateOwner.SectionName => SectionName;

    // A run that did not validate before its checkpoint may be given validation data when it resumes: its history starts then.
    bool IStateOwner.IsOptional => true;

    void IStateOwner.SaveState(StateSection section)
    {
        section.SaveValue(HistoryName, _history);
        if (_bestWeights is null) return;
        foreach (var ((name, _), best) in _model.named_parameters().Zip(_bestWeights)) section.Save(BestPrefix + name, best);
    }

    void IStateOwner.LoadState(StateSection section)
    {
        var history = section.LoadValue<List<ValidationRecord>>(HistoryName);
        _history.Clear();
        _history.AddRange(history);
        Best = history.LastOrDefault(v => v.IsBest);
        WithoutImprovement = history.Count == 0 ? 0 : history[^1].ValidationsWithoutImprovement;
        if (!_options.RestoreBestWeights || !section.TensorNames.Any()) return;
        KeepWeights(_model);
        foreach (var ((name, _), kept) in _model.named_parameters().Zip(_bestWeights!)) section.LoadInto(BestPrefix + name, kept);
    }

    /// <summary>The validations a checkpoint's section recorded, for reading without resuming.</summary>
    public static IReadOnlyList<ValidationRecord> RecordedIn(StateSection section) => section.LoadValue<List<ValidationRecord>>(HistoryName);

    /// <summary>
    /// What is wrong with a validation section of a checkpoint at <paramref name="step"/>: validations one per step at most, in step order, up to
    /// it, counting improvements consistently; best weights all or none, each shaped as the weight of its name in <paramref name="model"/>.
    /// </summary>
    public static string? SectionProblem(StateSection section, int step, StateSection model)
    {
        List<ValidationRecord> validations;
        try
        {
            validations = section.LoadValue<List<ValidationRecord>>(HistoryName);
        }
        catch (CheckpointException)
        {
            return "the validations are not a list of validation records";
        }
        if (validations.Any(v => v is null)) return "an empty validation record";
        for (int i = 0; i < validations.Count; i++)
        {
            var v = validations[i];
            if (v.Step < 1 || v.Step > step || (i > 0 && v.Step <= validations[i - 1].Step)) return $"validation at step {v.Step} out of order or after step {step}";
            if (!(v.Accuracy is >= 0 and <= 1) || double.IsInfinity(v.Loss) || v.Loss < 0) return $"validation at step {v.Step} with loss {v.Loss} and accuracy {v.Accuracy}";
            if (v.IsBest != (v.ValidationsWithoutImprovement == 0) || v.ValidationsWithoutImprovement > i
                || (i > 0 && !v.IsBest && v.ValidationsWithoutImprovement != validations[i - 1].ValidationsWithoutImprovement + 1))
                return $"validation at step {v.Step} counts {v.ValidationsWithoutImprovement} validations without improvement";
        }
        if (validations.Count > 0 && !validations[0].IsBest) return "the first validation is not the best so far";
        var best = section.StoredTensors;
        if (best.Count == 0) return null;
        foreach (var (name, weight) in model.StoredTensors)
        {
            if (!best.TryGetValue(BestPrefix + name, out var kept) || kept.Dtype != ScalarType.Float32 || !kept.Shape.SequenceEqual(weight.Shape))
                return $"best weights {BestPrefix + name} missing or not shaped as model weight {name}";
        }
        return best.Count != model.StoredTensors.Count ? $"{best.Count} best weights where the model has {model.StoredTensors.Count}" : StateSection.NotFinite(best);
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
