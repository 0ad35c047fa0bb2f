using MnistRnn.Models;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Checkpoints;

/// <summary>
/// A checkpoint read and validated by <see cref="CheckpointFile.Read"/>: its metadata, and one <see cref="StateSection"/>
/// per stateful part of the run (the model's weights, the optimizer, the batch order, ...), ready to build a model or resume a run.
/// </summary>
public sealed class Checkpoint
{
    private readonly IReadOnlyDictionary<string, StateSection> _sections;

    internal Checkpoint(string path, CheckpointInfo info, IReadOnlyDictionary<string, StateSection> sections)
    {
        Path = path;
        Info = info;
        _sections = sections;
        Validations = sections.TryGetValue(ValidationTracker.SectionName, out var validation) ? ValidationTracker.RecordedIn(validation) : [];
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>Its metadata.</summary>
    public CheckpointInfo Info { get; }

    /// <summary>The validations of the run up to this checkpoint, in step order; empty for a run without validation data.</summary>
    public IReadOnlyList<ValidationRecord> Validations { get; }

    /// <summary>The training time of the run up to this checkpoint; zero in checkpoints written before it was recorded.</summary>
    public TimeSpan TrainingTime => TrainingClock.Recorded(Section(TrainingClock.SectionName));

    /// <summary>The names of its sections, in the order they were written.</summary>
    public IEnumerable<string> SectionNames => _sections.Keys;

    /// <summary>The section named <paramref name="name"/>, or null when the checkpoint has none.</summary>
    public StateSection? Section(string name) => _sections.GetValueOrDefault(name);

    /// <summary>
    /// Builds the classifier the checkpoint describes on <paramref name="device"/> (default CPU), with the weights a trained
    /// model holds: the averaged weights of a run that kept a weight average, its last step's otherwise.
    /// </summary>
    /// <exception cref="CheckpointException">The stored weights do not fit the architecture the header describes.</exception>
    public RecurrentClassifier CreateModel(Device? device = null)
    {
        DeviceSelection.EnsureAvailable(device);
        var model = new RecurrentClassifier(Info.ModelOptions);
        try
        {
            ModelWeights.Load(model, _sections[ModelWeights.Name]);
            if (Section(WeightAverage.SectionName) is { } average) WeightAverage.LoadAveraged(model, average);
            model.to(device ?? CPU);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Throws unless <paramref name="model"/> has the architecture this checkpoint was trained with.</summary>
    /// <exception cref="CheckpointException">It does not; the message names both.</exception>
    public void EnsureFits(RecurrentClassifier model)
    {
        if (model.Options != Info.ModelOptions)
            throw new CheckpointException($"{Path}: the checkpoint is for a {Info.Architecture} model, not {model.Options}.");
    }

    /// <summary>
    /// Hands every owner its section; an owner whose section is missing starts afresh only if it may. Returns the callbacks'
    /// sections that no owner claimed (a callback the resumed run does not have), which the caller says are dropped.
    /// </summary>
    /// <exception cref="CheckpointException">A section an owner needs is missing or does not fit it.</exception>
    internal IReadOnlyList<string> Restore(IEnumerable<IStateOwner> owners)
    {
        using var scope = NewDisposeScope();
        var claimed = new HashSet<string>();
        foreach (var owner in owners)
        {
            claimed.Add(owner.SectionName);
            if (Section(owner.SectionName) is { } section) owner.LoadState(section);
            else if (!owner.IsOptional) throw new CheckpointException($"{Path}: the checkpoint has no {owner.SectionName} section, which this run needs to resume.");
        }
        // Any other unknown section was refused when the file was read (CheckpointRules).
        return [.. SectionNames.Where(name => name.StartsWith(CheckpointRules.CallbackPrefix, StringComparison.Ordinal) && !claimed.Contains(name))];
    }
}
