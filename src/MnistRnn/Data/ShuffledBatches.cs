using System.Buffers.Binary;
using MnistRnn.Checkpoints;
using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// Endless mini-batches of a dataset: each epoch is one pass in a fresh order drawn from a seeded
/// generator, so a seed fixes the whole sequence of batches. A final partial batch is dropped, so
/// every batch has exactly <c>batchSize</c> items (MNIST's 60,000 divide evenly by the default 100).
/// </summary>
public sealed class ShuffledBatches : IDisposable, IStateOwner
{
    private readonly SequenceDataset _data;
    private readonly int _batchSize;
    private readonly Generator _generator;
    private Tensor? _order;
    private int _next;

    /// <summary>Prepares batches of <paramref name="batchSize"/> drawn from <paramref name="data"/>.</summary>
    public ShuffledBatches(SequenceDataset data, int batchSize, long seed)
    {
        if (batchSize < 1 || batchSize > data.Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batch size must be between 1 and {data.Count}.");
        _data = data;
        _batchSize = batchSize;
        _generator = new Generator((ulong)seed);
    }

    /// <summary>Completed passes over the data.</summary>
    public int Epoch { get; private set; }

    /// <summary>
    /// The next batch: sequences (batch, steps, features), labels (batch) on the data's device, and the sequences' lengths
    /// (on the CPU) when the data has them. The tensors belong to the caller's dispose scope.
    /// </summary>
    public (Tensor Sequences, Tensor Labels, Tensor? Lengths) Next()
    {
        if (_order is null || _next + _batchSize > _data.Count)
        {
            if (_order is not null) Epoch++;
            _order?.Dispose();
            // The order lives across many batches, so it leaves every dispose scope; the local
            // scope releases the intermediate permutation when the device copy is a new tensor.
            using var scope = NewDisposeScope();
            _order = randperm(_data.Count, generator: _generator).to(_data.Device).DetachFromDisposeScope();
            _next = 0;
        }
        using var indices = _order.narrow(0, _next, _batchSize);
        _next += _batchSize;
        return (_data.Select(indices), _data.Labels.index_select(0, indices), _data.Lengths?.index_select(0, indices.cpu()));
    }

    /// <summary>The batch order's section of a checkpoint: the epoch, the position in it, its order and the generator that draws the next.</summary>
    internal const string SectionName = "batches";

    /// <summary>The rule of its section: an order of the header's training items.</summary>
    internal static readonly SectionRule Rule = new(SectionName, Required: true, (section, at) => SectionProblem(section, at.Info.TrainCount));

    string IStateOwner.SectionName => SectionName;

    void IStateOwner.SaveState(StateSection section)
    {
        section.SaveValue("epoch", Epoch);
        section.SaveValue("position", _next);
        if (_order is not null) section.Save("order", _order);
        section.Save("generator", _generator.get_state());
    }

    // Resumes where the checkpoint left off: the same order (copied), position, epoch and generator state.
    void IStateOwner.LoadState(StateSection section)
    {
        _order?.Dispose();
        using var scope = NewDisposeScope();
        _order = section.Contains("order") ? section.Load("order", [_data.Count], ScalarType.Int64).to(_data.Device).DetachFromDisposeScope() : null;
        _next = section.LoadValue<int>("position");
        Epoch = section.LoadValue<int>("epoch");
        GeneratorState.Load(section, "generator", _generator);
    }

    /// <summary>What is wrong with a batches section for <paramref name="count"/> training items, before anything is allocated.</summary>
    internal static string? SectionProblem(StateSection section, int count)
    {
        if (section.TryLoad<int>("epoch") is not int epoch || section.TryLoad<int>("position") is not int position
            || epoch < 0 || position < 0 || position > count)
            return $"batch position {section.TryLoad<int>("position")} of {count} in epoch {section.TryLoad<int>("epoch")}";
        if (GeneratorState.Problem(section, "generator") is { } generator) return generator;
        if (section.StoredTensors.Keys.FirstOrDefault(k => k is not ("order" or "generator")) is { } unknown) return $"unknown tensor {unknown}";
        return section.StoredTensors.TryGetValue("order", out var order) ? OrderProblem(order, count) : null;
    }

    private static string? OrderProblem(StateSection.StoredTensor order, int count)
    {
        if (order.Dtype != ScalarType.Int64 || order.Shape.Length != 1 || order.Shape[0] != count)
            return $"the batch order is not {count} int64 indices";
        var seen = new bool[count];
        var indices = order.Bytes.Span;
        for (int i = 0; i < count; i++)
        {
            long index = BinaryPrimitives.ReadInt64LittleEndian(indices[(i * sizeof(long))..]);
            if (index < 0 || index >= count || seen[index]) return "the batch order is not a permutation of the training images";
            seen[index] = true;
        }
        return null;
    }

    /// <summary>Releases the current order and the generator.</summary>
    public void Dispose()
    {
        _order?.Dispose();
        _generator.Dispose();
    }
}
