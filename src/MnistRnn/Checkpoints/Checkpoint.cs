using MnistRnn.Models;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Checkpoints;

/// <summary>
/// A checkpoint read and validated by <see cref="CheckpointFile.Read"/>: its metadata, and the weights,
/// optimizer state and random-generator states it holds, ready to build a model or resume a run.
/// </summary>
public sealed class Checkpoint
{
    private readonly byte[] _bytes;
    private readonly IReadOnlyDictionary<string, (long Offset, long[] Shape, ScalarType Dtype)> _tensors;

    internal Checkpoint(string path, CheckpointInfo info, byte[] bytes,
        IReadOnlyDictionary<string, (long Offset, long[] Shape, ScalarType Dtype)> tensors, int epoch, int position, long adamSteps)
    {
        Path = path;
        Info = info;
        _bytes = bytes;
        _tensors = tensors;
        Epoch = epoch;
        Position = position;
        AdamSteps = adamSteps;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>Its metadata.</summary>
    public CheckpointInfo Info { get; }

    internal int Epoch { get; }

    internal int Position { get; }

    internal long AdamSteps { get; }

    /// <summary>The validations of the run up to this checkpoint, in step order; empty for a run without validation data.</summary>
    public IReadOnlyList<Training.ValidationRecord> Validations { get; internal init; } = [];

    /// <summary>Builds the classifier the checkpoint describes, with its weights, on <paramref name="device"/> (default CPU).</summary>
    /// <exception cref="CheckpointException">The stored weights do not fit the architecture the header describes.</exception>
    public RecurrentClassifier CreateModel(Device? device = null)
    {
        DeviceSelection.EnsureAvailable(device);
        var model = new RecurrentClassifier(Info.ModelOptions);
        try
        {
            LoadWeights(model);
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

    /// <summary>Restores a run in progress: weights, Adam's moments and step count, batch order, generator states.</summary>
    /// <exception cref="CheckpointException">The trainer's options, model or data differ from the checkpoint's.</exception>
    internal void Restore(TrainingState state)
    {
        if (CheckpointResume.Problem(state.Options, Info) is { } problem)
            throw new CheckpointException($"{Path}: {problem}");
        EnsureFits(state.Model);
        if (state.Options.EarlyStopPatience is int patience && Validations.Count > 0 && Validations[^1].ValidationsWithoutImprovement >= patience)
            throw new CheckpointException(
                $"{Path}: the run stopped early at step {Info.Step} ({patience} validations without improvement); it is finished, so start a new run to train further.");
        if (state.Validation is null && Validations.Count > 0)
            throw new CheckpointException($"{Path}: the run was validated every {Info.Options.ValidateEvery} steps; resume it with its validation data.");
        var data = state.Data;
        if (data.Count != Info.TrainCount || data.Rows != Info.ImageRows || data.Columns != Info.ImageColumns)
            throw new CheckpointException(
                $"{Path}: the checkpoint was trained on {Info.TrainCount} images of {Info.ImageRows}x{Info.ImageColumns}, " +
                $"not this data's {data.Count} of {data.Rows}x{data.Columns}; resume on the data it was trained on.");
        if (Info.DataFingerprint is not null && Info.DataFingerprint != data.Fingerprint)
            throw new CheckpointException(
                $"{Path}: the checkpoint was trained on other images or labels of the same shape (fingerprint {Info.DataFingerprint[..12]}, " +
                $"this data's {data.Fingerprint[..12]}); resume on the data it was trained on.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        LoadWeights(state.Model);
        for (int i = 0; i < state.Optimizer.Parameters.Count; i++)
        {
            state.Optimizer.FirstMoments[i].copy_(Tensor($"adam/m/{i}", state.Optimizer.FirstMoments[i].shape));
            state.Optimizer.SecondMoments[i].copy_(Tensor($"adam/v/{i}", state.Optimizer.SecondMoments[i].shape));
        }
        state.Optimizer.RestoreStepCount(AdamSteps);
        var order = _tensors.ContainsKey("batches/order") ? Tensor("batches/order", [Info.TrainCount]) : null;
        state.Batches.Restore(Epoch, Position, order, Tensor("batches/generator", null));
        random.set_rng_state(Tensor("torch/generator", null));
        if (state.Validation is { } tracker)
        {
            var best = state.Options.RestoreBestWeights && _tensors.ContainsKey($"best/{state.Model.named_parameters().First().name}")
                ? state.Model.named_parameters().Select(p => Tensor($"best/{p.name}", p.parameter.shape)).ToList()
                : null;
            tracker.Restore(Validations, best, state.Model);
        }
    }

    private void LoadWeights(RecurrentClassifier model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parameters = model.named_parameters().ToList();
        int stored = _tensors.Keys.Count(k => k.StartsWith("model/", StringComparison.Ordinal));
        if (stored != parameters.Count)
            throw new CheckpointException($"{Path}: the checkpoint holds {stored} weight tensors where a {Info.Architecture} model has {parameters.Count}.");
        foreach (var (name, parameter) in parameters)
            parameter.copy_(Tensor($"model/{name}", parameter.shape));
    }

    // A stored tensor, checked against the shape it must have (when given) before anything is allocated.
    private Tensor Tensor(string name, long[]? expectedShape)
    {
        if (!_tensors.TryGetValue(name, out var entry))
            throw new CheckpointException($"{Path}: the checkpoint has no tensor {name}.");
        if (expectedShape is not null && !entry.Shape.SequenceEqual(expectedShape))
            throw new CheckpointException(
                $"{Path}: tensor {name} has shape ({string.Join(", ", entry.Shape)}) where ({string.Join(", ", expectedShape)}) is needed.");
        var tensor = empty(entry.Shape, entry.Dtype);
        long length = tensor.numel() * CheckpointFile.ElementSize(entry.Dtype);
        tensor.bytes = _bytes.AsSpan((int)entry.Offset, (int)length);
        return tensor;
    }
}
