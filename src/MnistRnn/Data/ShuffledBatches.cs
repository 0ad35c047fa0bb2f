using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// Endless mini-batches of a dataset: each epoch is one pass in a fresh order drawn from a seeded
/// generator, so a seed fixes the whole sequence of batches. A final partial batch is dropped, so
/// every batch has exactly <c>batchSize</c> items (MNIST's 60,000 divide evenly by the default 100).
/// </summary>
public sealed class ShuffledBatches : IDisposable
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

    /// <summary>Position within the current order (for checkpoints).</summary>
    internal int Position => _next;

    /// <summary>The current epoch's order, or null before the first batch (for checkpoints).</summary>
    internal Tensor? Order => _order;

    /// <summary>The generator that draws each epoch's order (for checkpoints).</summary>
    internal Generator Generator => _generator;

    /// <summary>Resumes where a checkpoint left off: the same order (copied), position, epoch and generator state.</summary>
    internal void Restore(int epoch, int position, Tensor? order, Tensor generatorState)
    {
        _order?.Dispose();
        using var scope = NewDisposeScope();
        _order = order?.to(_data.Device).clone().DetachFromDisposeScope();
        _next = position;
        Epoch = epoch;
        _generator.set_state(generatorState);
    }

    /// <summary>Releases the current order and the generator.</summary>
    public void Dispose()
    {
        _order?.Dispose();
        _generator.Dispose();
    }
}
