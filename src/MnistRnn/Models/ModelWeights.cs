using MnistRnn.Checkpoints;
using static TorchSharp.torch;

namespace MnistRnn.Models;

/// <summary>The model's section of a checkpoint: every weight, by the name <c>named_parameters()</c> gives it.</summary>
internal sealed class ModelWeights(RecurrentClassifier model) : IStateOwner
{
    public const string Name = "model";

    /// <summary>The rule of its section: the architecture the header describes, weight for weight.</summary>
    internal static readonly SectionRule Rule = new(Name, Required: true, (section, at) => Problem(section, at.Info.ModelOptions));

    public string SectionName => Name;

    public void SaveState(StateSection section)
    {
        foreach (var (name, parameter) in model.named_parameters()) section.Save(name, parameter);
    }

    public void LoadState(StateSection section) => Load(model, section);

    /// <summary>Copies the section's weights into <paramref name="target"/>, each checked against its shape first.</summary>
    public static void Load(RecurrentClassifier target, StateSection section)
    {
        using var noGrad = no_grad();
        var parameters = target.named_parameters().ToList();
        int stored = section.TensorNames.Count();
        if (stored != parameters.Count)
            throw section.Problem($"it holds {stored} weight tensors where a {target.Options} model has {parameters.Count}");
        foreach (var (name, parameter) in parameters) section.LoadInto(name, parameter);
    }

    /// <summary>What is wrong with the section before any weight is allocated: float32 weights, as many as <paramref name="architecture"/> has.</summary>
    public static string? Problem(StateSection section, RecurrentClassifierOptions architecture)
    {
        var weights = section.StoredTensors.Values;
        long stored = weights.Sum(w => w.Shape.Aggregate(1L, (a, d) => a * d));
        return weights.Any(w => w.Dtype != ScalarType.Float32) || stored != architecture.ParameterCount
            ? $"{stored} float32 weights where a {architecture} model has {architecture.ParameterCount}"
            : StateSection.NotFinite(section.StoredTensors);
    }
}
