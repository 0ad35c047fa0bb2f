using MnistRnn.Checkpoints;
using MnistRnn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// The exponential moving average of the weights that <see cref="TrainingOptions.EmaDecay"/> asks for, as timm's
/// <c>ModelEmaV2</c>: it starts as the initial weights, and after every update that applies,
/// <c>average = decay average + (1 - decay) weights</c>, on the model's device. The model trains on its own weights;
/// validation sees the average, and a finished run hands the average over unless it restores the best weights.
/// </summary>
/// <remarks>
/// A callback on the moments any user's callback has (Lightning's EMA callbacks use the same three); only its checkpoint
/// section is its own, <c>ema</c> rather than <c>callback.WeightAverage</c>, as checkpoints have always named it.
/// </remarks>
internal sealed class WeightAverage : TrainingCallback, IStateOwner, IDisposable
{
    public const string SectionName = "ema";

    /// <summary>The rule of its section: one average per weight of the model.</summary>
    internal static readonly SectionRule Rule = new(SectionName, Required: false, (section, at) => SectionProblem(section, at.Model));
    private readonly RecurrentClassifier _model;
    private readonly Tensor[] _average;
    private readonly Scalar _decay;
    private readonly Scalar _keep;
    // The model's own weights while the average stands in for them during a validation.
    private Tensor[]? _own;

    /// <summary>The average <paramref name="options"/> ask for over <paramref name="model"/>'s weights; null when they ask for none.</summary>
    public static WeightAverage? For(TrainingOptions options, RecurrentClassifier model) =>
        options.EmaDecay is double decay ? new WeightAverage(model, decay) : null;

    private WeightAverage(RecurrentClassifier model, double decay)
    {
        _model = model;
        _decay = decay.ToScalar();
        _keep = (1 - decay).ToScalar();
        using var noGrad = no_grad();
        _average = model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Moves the average towards the weights after an update; under the device-resident mode <paramref name="applied"/> (a boolean on the device) says whether it applied.</summary>
    public override void OnUpdate(TrainingContext context, Tensor? applied)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Skipped on the device, the weight of the new weights is 0 and the average stays as it was.
        var weight = applied?.to(_average[0].dtype).mul_(_keep);
        foreach (var (average, parameter) in _average.Zip(_model.parameters()))
        {
            if (weight is null) average.mul_(_decay).add_(parameter, _keep);
            else average.lerp_(parameter, weight);
        }
    }

    /// <summary>Puts the average in the model for the validation, keeping the model's own weights aside.</summary>
    public override void OnValidationStart(TrainingContext context)
    {
        using var noGrad = no_grad();
        _own = _model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        CopyAverageIntoModel();
    }

    /// <summary>Puts the model's own weights back.</summary>
    public override void OnValidationEnd(TrainingContext context, ValidationRecord validation)
    {
        if (_own is null) return;
        using var noGrad = no_grad();
        foreach (var (parameter, weights) in _model.parameters().Zip(_own))
        {
            parameter.copy_(weights);
            weights.Dispose();
        }
        _own = null;
    }

    /// <summary>Hands the average over as the trained weights, unless the run restored its best ones (which were validated as averages).</summary>
    public override void OnTrainingEnd(TrainingContext context, TrainingResult result)
    {
        if (!(context.Options.RestoreBestWeights && result.BestValidation is not null)) CopyAverageIntoModel();
    }

    private void CopyAverageIntoModel()
    {
        using var noGrad = no_grad();
        foreach (var (parameter, average) in _model.parameters().Zip(_average)) parameter.copy_(average);
    }

    string IStateOwner.SectionName => SectionName;

    void IStateOwner.SaveState(StateSection section)
    {
        foreach (var ((name, _), average) in _model.named_parameters().Zip(_average)) section.Save(name, average);
    }

    void IStateOwner.LoadState(StateSection section)
    {
        foreach (var ((name, _), average) in _model.named_parameters().Zip(_average)) section.LoadInto(name, average);
    }

    /// <summary>Copies a checkpoint's averaged weights into <paramref name="model"/>, which a trained model holds.</summary>
    public static void LoadAveraged(RecurrentClassifier model, StateSection section)
    {
        foreach (var (name, parameter) in model.named_parameters()) section.LoadInto(name, parameter);
    }

    /// <summary>What is wrong with a checkpoint whose run <paramref name="options"/> describe that has an average's section, or has none (<paramref name="hasSection"/>).</summary>
    public static string? PresenceProblem(TrainingOptions options, bool hasSection) =>
        options.EmaDecay is not null && !hasSection ? $"its run kept a weight average (ema_decay {options.EmaDecay}) but it has no {SectionName} section"
        : options.EmaDecay is null && hasSection ? $"it has an {SectionName} section but its run kept no weight average (ema_decay is null)"
        : null;

    /// <summary>What is wrong with an average's section: one float32 tensor per weight of <paramref name="model"/>'s section, shaped as it.</summary>
    public static string? SectionProblem(StateSection section, StateSection model)
    {
        if (section.StoredTensors.Count != model.StoredTensors.Count) return $"{section.StoredTensors.Count} averaged weights where the model has {model.StoredTensors.Count}";
        foreach (var (name, weight) in model.StoredTensors)
        {
            if (!section.StoredTensors.TryGetValue(name, out var average) || average.Dtype != ScalarType.Float32 || !average.Shape.SequenceEqual(weight.Shape))
                return $"the average of {name} is missing or not shaped as the weight";
        }
        return StateSection.NotFinite(section.StoredTensors);
    }

    public void Dispose()
    {
        foreach (var tensor in _average.Concat(_own ?? [])) tensor.Dispose();
        _decay.Dispose();
        _keep.Dispose();
    }
}
