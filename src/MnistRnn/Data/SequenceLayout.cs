using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// Turns batches of images (batch, rows, columns) into the sequences a recurrent network reads
/// (batch, steps, features), in one <see cref="SequenceOrder"/>.
/// </summary>
public sealed class SequenceLayout : IDisposable
{
    /// <summary>
    /// Seed of the pixel permutation of <see cref="SequenceOrder.Permuted"/>. It is fixed, not the
    /// training seed, so every run and every checkpoint of pMNIST faces the same task.
    /// </summary>
    public const ulong PermutationSeed = 0;

    private readonly Tensor? _permutation;

    /// <summary>Prepares the layout for images of <paramref name="rows"/> by <paramref name="columns"/> on <paramref name="device"/>.</summary>
    public SequenceLayout(SequenceOrder order, int rows, int columns, Device? device = null)
    {
        if (!Enum.IsDefined(order)) throw new ArgumentOutOfRangeException(nameof(order), order, "unknown sequence order.");
        Training.DeviceSelection.EnsureAvailable(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Order = order;
        Rows = rows;
        Columns = columns;
        (Steps, Features) = Shape(order, rows, columns);
        if (order == SequenceOrder.Permuted)
        {
            using var generator = new Generator(PermutationSeed);
            using var scope = NewDisposeScope();
            _permutation = randperm(rows * columns, generator: generator).to(device ?? CPU).DetachFromDisposeScope();
        }
    }

    /// <summary>The steps and features per step of images of <paramref name="rows"/> by <paramref name="columns"/> read in <paramref name="order"/>.</summary>
    public static (int Steps, int Features) Shape(SequenceOrder order, int rows, int columns) =>
        order == SequenceOrder.Rows ? (rows, columns) : (rows * columns, 1);

    /// <summary>The order this layout produces.</summary>
    public SequenceOrder Order { get; }

    /// <summary>Image height the layout expects.</summary>
    public int Rows { get; }

    /// <summary>Image width the layout expects.</summary>
    public int Columns { get; }

    /// <summary>Sequence length: rows, or rows times columns for the pixel orders.</summary>
    public int Steps { get; }

    /// <summary>Features per step: columns, or 1 for the pixel orders.</summary>
    public int Features { get; }

    /// <summary>The sequences of a batch of images. The result belongs to the caller's dispose scope.</summary>
    /// <param name="images">Shape (batch, rows, columns).</param>
    /// <returns>Shape (batch, <see cref="Steps"/>, <see cref="Features"/>).</returns>
    public Tensor Arrange(Tensor images)
    {
        if (images.dim() != 3 || images.shape[1] != Rows || images.shape[2] != Columns)
            throw new ArgumentException(
                $"images must have shape (batch, {Rows}, {Columns}), got ({string.Join(", ", images.shape)}).", nameof(images));
        return Order switch
        {
            // alias() rather than the tensor itself, so the caller may dispose the result like any other.
            SequenceOrder.Rows => images.alias(),
            SequenceOrder.Pixels => images.reshape(images.shape[0], Steps, 1),
            _ => images.reshape(images.shape[0], Steps).index_select(1, _permutation!).unsqueeze(2),
        };
    }

    /// <summary>The pixel permutation of <see cref="SequenceOrder.Permuted"/> (int64, on the layout's device), or null.</summary>
    internal Tensor? Permutation => _permutation;

    /// <summary>Releases the permutation.</summary>
    public void Dispose() => _permutation?.Dispose();
}
