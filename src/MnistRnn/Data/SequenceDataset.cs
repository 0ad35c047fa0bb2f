using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// Labelled sequences for a <see cref="Models.RecurrentClassifier"/>: float32 sequences (count, steps, features),
/// int64 labels (count) in 0 to <see cref="Classes"/> - 1, and optionally each sequence's length, for data whose
/// sequences are shorter than <see cref="Steps"/> (padded at the end). Everything is checked when it is built, so a
/// mistake is one sentence here rather than a libtorch error in the middle of training.
/// </summary>
public sealed class SequenceDataset : IDisposable
{
    /// <summary>Wraps tensors after checking them; the dataset then owns and disposes them (not when the check fails).</summary>
    /// <param name="sequences">Shape (count, steps, features), float32.</param>
    /// <param name="labels">Shape (count), int64, each 0 to <paramref name="classes"/> - 1, on the device of <paramref name="sequences"/>.</param>
    /// <param name="classes">Number of classes, at least 2.</param>
    /// <param name="lengths">Null when every sequence is <c>steps</c> long; otherwise shape (count), int64, each 1 to steps, on the CPU (where packing reads them).</param>
    /// <exception cref="ArgumentException">A tensor has the wrong rank, dtype, device, count or values; the message says which and what to do.</exception>
    public SequenceDataset(Tensor sequences, Tensor labels, int classes, Tensor? lengths = null) : this(sequences, labels, classes, lengths, fromImages: false)
    {
    }

    // Images as sequences (DatasetSplit.ToSequences) may be bytes (PixelBytes), and skip the scan for non-finite values,
    // as images always have: a non-finite image makes the updates of its batches skipped (TrainingOptions.MaxNonFiniteSteps),
    // not the data refused.
    internal SequenceDataset(Tensor sequences, Tensor labels, int classes, Tensor? lengths, bool fromImages)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(labels);
        Check(sequences, labels, classes, lengths, fromImages);
        _stored = sequences;
        _labels = labels;
        Classes = classes;
        _lengths = lengths;
        _fromImages = fromImages;
    }

    private readonly Tensor _stored, _labels;
    private readonly Tensor? _lengths;
    private readonly bool _fromImages;
    private Tensor? _float32Copy;
    private bool _disposed;

    /// <summary>
    /// The sequences, shape (count, steps, features), float32. Of images kept as bytes, the first read makes a float32 copy
    /// (four times their memory) that the dataset keeps until it is disposed; training, evaluation and prediction read
    /// batches and never make it.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor Sequences
    {
        get
        {
            var stored = Usable(_stored);
            if (stored.dtype == ScalarType.Float32) return stored;
            // Detached, so a caller's dispose scope does not release the copy the dataset keeps.
            return _float32Copy ??= PixelBytes.AsFloat32(stored).DetachFromDisposeScope();
        }
    }

    /// <summary>The float32 sequences at <paramref name="indices"/> (on the data's device), in the caller's dispose scope.</summary>
    internal Tensor Select(Tensor indices) => PixelBytes.AsFloat32(Usable(_stored).index_select(0, indices));

    /// <summary>The float32 sequences <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> - 1, in the caller's dispose scope.</summary>
    internal Tensor Narrow(long start, long length) => PixelBytes.AsFloat32(Usable(_stored).narrow(0, start, length));

    /// <summary>What a checkpoint records of these sequences and labels.</summary>
    internal DataIdentity Identity() => DataIdentity.Of(Usable(_stored), Labels);

    /// <summary>The labels, shape (count), int64.</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor Labels => Usable(_labels);

    /// <summary>Each sequence's length, shape (count) int64 on the CPU; null when all are <see cref="Steps"/> long.</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor? Lengths => _lengths is null ? null : Usable(_lengths);

    // Libtorch would say "Tensor invalid -- empty handle" of a released tensor; this names what was released.
    private Tensor Usable(Tensor tensor) => _disposed
        ? throw new ObjectDisposedException(null, "this SequenceDataset was disposed, which released its tensors; build the dataset again to use it.")
        : tensor;

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Number of sequences.</summary>
    public int Count => (int)Usable(_stored).shape[0];

    /// <summary>Steps per sequence (the longest, when <see cref="Lengths"/> are given).</summary>
    public int Steps => (int)Usable(_stored).shape[1];

    /// <summary>Features per step.</summary>
    public int Features => (int)Usable(_stored).shape[2];

    /// <summary>The device the sequences and labels are on.</summary>
    public Device Device => Usable(_stored).device;

    /// <summary>Throws unless <paramref name="model"/> reads this data's features into its classes.</summary>
    /// <exception cref="ArgumentException">It does not; the message gives both.</exception>
    internal void EnsureFits(Models.RecurrentClassifier model)
    {
        model.EnsureNotDisposed();
        if (model.InputSize != Features || model.Classes != Classes)
            throw new ArgumentException(
                $"the model reads {model.InputSize} features per step into {model.Classes} classes, but the data has {Features} features and {Classes} classes.");
        // Every batch reaches the model as float32 (images kept as bytes included), whatever the dataset stores.
        var weights = model.parameters().First().dtype;
        if (weights != ScalarType.Float32)
            throw new ArgumentException(
                $"the model's weights are {weights} but sequences reach it as Float32; move the model back with model.to(ScalarType.Float32).");
    }

    /// <summary>
    /// Splits off <paramref name="count"/> sequences drawn at random with <paramref name="seed"/> (the same seed draws the same
    /// ones): the remaining and the held-out sequences, disjoint, each in this dataset's order and owning copies of its
    /// tensors. With <paramref name="stratify"/>, each class is held out in proportion to its share (largest remainders
    /// decide the rounding), as scikit-learn's <c>train_test_split(stratify=y)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not between 1 and one less than the sequences.</exception>
    public (SequenceDataset Remaining, SequenceDataset HeldOut) HoldOut(int count, long seed, bool stratify = false)
    {
        if (count < 1 || count >= Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"must leave at least one of the {Count} sequences on each side.");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        long[] held = stratify ? StratifiedDraw(count, generator) : randperm(Count, generator: generator).narrow(0, 0, count).data<long>().ToArray();
        var isHeld = new bool[Count];
        foreach (long i in held) isHeld[i] = true;
        SequenceDataset Select(bool heldOut)
        {
            var indices = tensor(Enumerable.Range(0, Count).Where(i => isHeld[i] == heldOut).Select(i => (long)i).ToArray());
            var onDevice = indices.to(Device);
            var dataset = new SequenceDataset(Usable(_stored).index_select(0, onDevice), Labels.index_select(0, onDevice), Classes, Lengths?.index_select(0, indices), _fromImages);
            dataset._stored.DetachFromDisposeScope();
            dataset._labels.DetachFromDisposeScope();
            dataset._lengths?.DetachFromDisposeScope();
            return dataset;
        }
        return (Select(heldOut: false), Select(heldOut: true));
    }

    /// <summary>As <see cref="HoldOut(int, long, bool)"/>, holding out <paramref name="fraction"/> of the sequences (rounded to the nearest whole one).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not between 0 and 1, or leaves a side empty.</exception>
    public (SequenceDataset Remaining, SequenceDataset HeldOut) HoldOut(double fraction, long seed, bool stratify = false)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must lie between 0 and 1.");
        return HoldOut((int)Math.Round(fraction * Count), seed, stratify);
    }

    // Per class, its share of count (largest remainders round), drawn at random within the class.
    private long[] StratifiedDraw(int count, Generator generator)
    {
        long[] labels = Labels.cpu().data<long>().ToArray();
        var byClass = Enumerable.Range(0, Classes).Select(c => Enumerable.Range(0, Count).Where(i => labels[i] == c).ToArray()).ToArray();
        double[] exact = byClass.Select(members => count * (double)members.Length / Count).ToArray();
        int[] taken = exact.Select(e => (int)Math.Floor(e)).ToArray();
        foreach (int c in Enumerable.Range(0, Classes).OrderByDescending(c => exact[c] - taken[c]).ThenBy(c => c).Take(count - taken.Sum())) taken[c]++;
        var held = new List<long>(count);
        for (int c = 0; c < Classes; c++)
        {
            if (taken[c] == 0) continue;
            long[] order = randperm(byClass[c].Length, generator: generator).data<long>().ToArray();
            held.AddRange(order.Take(taken[c]).Select(o => (long)byClass[c][o]));
        }
        return held.ToArray();
    }

    /// <summary>Sequences from a (count, steps, features) array.</summary>
    /// <param name="sequences">The values; <c>sequences[i, t, f]</c> is feature f of step t of sequence i.</param>
    /// <param name="labels">One label per sequence, 0 to <paramref name="classes"/> - 1.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="lengths">Null, or each sequence's length (1 to steps); steps past it are ignored.</param>
    /// <param name="device">Where to put the tensors; default the CPU.</param>
    /// <inheritdoc cref="SequenceDataset(Tensor, Tensor, int, Tensor)" path="/exception"/>
    public static SequenceDataset FromArrays(float[,,] sequences, int[] labels, int classes, int[]? lengths = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var flat = new float[sequences.Length];
        Buffer.BlockCopy(sequences, 0, flat, 0, flat.Length * sizeof(float));
        return FromArrays(flat, sequences.GetLength(1), sequences.GetLength(2), labels, classes, lengths, device);
    }

    /// <summary>
    /// Sequences of different lengths from a jagged array, each sequence's steps one after the other (step t's feature f at
    /// t × features + f): each is read to its own length, the shorter ones padded with zeros to the longest.
    /// </summary>
    /// <param name="sequences">One array per sequence, each a whole number of steps of <paramref name="features"/> values.</param>
    /// <param name="features">Features per step.</param>
    /// <param name="labels">One label per sequence, 0 to <paramref name="classes"/> - 1.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="device">Where to put the tensors; default the CPU.</param>
    /// <inheritdoc cref="SequenceDataset(Tensor, Tensor, int, Tensor)" path="/exception"/>
    public static SequenceDataset FromArrays(float[][] sequences, int features, int[] labels, int classes, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var (values, steps, lengths) = Padded(sequences, features);
        if (labels.Length != lengths.Length)
            throw new ArgumentException($"labels hold {labels.Length} items but there are {lengths.Length} sequences.");
        return FromArrays(values, steps, features, labels, classes, lengths, device);
    }

    /// <summary>
    /// <paramref name="sequences"/> laid out as <see cref="FromArrays(float[], int, int, int[], int, int[], Device)"/> takes
    /// them: padded with zeros to the longest, with each one's length in steps.
    /// </summary>
    internal static (float[] Values, int Steps, int[] Lengths) Padded(float[][] sequences, int features)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (features < 1) throw new ArgumentException($"features must be at least 1, got {features}.");
        if (sequences.Length == 0) throw new ArgumentException("there are no sequences; give at least one.");
        var lengths = new int[sequences.Length];
        for (int i = 0; i < sequences.Length; i++)
        {
            int count = sequences[i]?.Length ?? throw new ArgumentException($"sequence {i} is null.");
            if (count == 0 || count % features != 0)
                throw new ArgumentException(
                    $"sequence {i} holds {count} values, not a whole number of steps of {features} features; each holds its steps' features one step after another.");
            lengths[i] = count / features;
        }
        int steps = lengths.Max();
        long padded = (long)sequences.Length * steps * features;
        if (padded > Array.MaxLength)
            throw new ArgumentException($"the sequences padded to the longest ({steps} steps) would take {padded} values, more than one array holds; pass fewer at a time.");
        var values = new float[padded];
        for (int i = 0; i < sequences.Length; i++) sequences[i].CopyTo(values, (long)i * steps * features);
        return (values, steps, lengths);
    }

    /// <summary>Sequences from a flat array in (count, steps, features) order, count being the number of labels.</summary>
    /// <param name="values">count × steps × features values; sequence i's step t's feature f is at (i × steps + t) × features + f.</param>
    /// <param name="steps">Steps per sequence.</param>
    /// <param name="features">Features per step.</param>
    /// <param name="labels">One label per sequence, 0 to <paramref name="classes"/> - 1.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="lengths">Null, or each sequence's length (1 to steps); steps past it are ignored.</param>
    /// <param name="device">Where to put the tensors; default the CPU.</param>
    /// <inheritdoc cref="SequenceDataset(Tensor, Tensor, int, Tensor)" path="/exception"/>
    public static SequenceDataset FromArrays(float[] values, int steps, int features, int[] labels, int classes, int[]? lengths = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(labels);
        Training.DeviceSelection.EnsureAvailable(device);
        if (steps < 1 || features < 1)
            throw new ArgumentException($"steps and features must be at least 1, got {steps} and {features}.");
        if (values.LongLength != (long)labels.Length * steps * features)
            throw new ArgumentException(
                $"values hold {values.LongLength} numbers where {labels.Length} labels of {steps} steps of {features} features need {(long)labels.Length * steps * features}.");
        if (lengths is not null && lengths.Length != labels.Length)
            throw new ArgumentException($"lengths hold {lengths.Length} items but labels hold {labels.Length}.");
        var target = device ?? CPU;
        using var scope = NewDisposeScope();
        var sequenceTensor = tensor(values, [labels.Length, steps, features], ScalarType.Float32).to(target);
        var labelTensor = tensor(labels.Select(l => (long)l).ToArray(), ScalarType.Int64).to(target);
        var lengthTensor = lengths is null ? null : tensor(lengths.Select(l => (long)l).ToArray(), ScalarType.Int64);
        var dataset = new SequenceDataset(sequenceTensor, labelTensor, classes, lengthTensor);
        sequenceTensor.DetachFromDisposeScope();
        labelTensor.DetachFromDisposeScope();
        lengthTensor?.DetachFromDisposeScope();
        return dataset;
    }

    /// <summary>
    /// Sequences from a CSV file of fixed-width rows: each row is a label (0 to <paramref name="classes"/> - 1) followed by
    /// <paramref name="steps"/> × <paramref name="features"/> numbers, step by step. Numbers use a point for decimals; a first
    /// row whose label is not a number is taken for a header and skipped, as are empty lines.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not such a CSV (separated by semicolons or tabs, say); the message names the line.</exception>
    /// <inheritdoc cref="SequenceDataset(Tensor, Tensor, int, Tensor)" path="/exception"/>
    public static SequenceDataset FromCsv(string path, int steps, int features, int classes, Device? device = null)
    {
        var (values, labels, _, _) = SequenceCsv.Read(path, steps, features, classes);
        return FromArrays(values, steps, features, labels, classes, device: device);
    }

    /// <summary>
    /// Sequences of different lengths from a CSV file: each row is a label (0 to <paramref name="classes"/> - 1) followed by
    /// its own whole number of steps of <paramref name="features"/> numbers. Shorter rows are padded with zeros to the
    /// longest and given <see cref="Lengths"/> (none when every row has the same length), so the padding is never read.
    /// Headers, empty lines and decimals as for <see cref="FromCsv"/>.
    /// </summary>
    /// <inheritdoc cref="FromCsv" path="/exception"/>
    public static SequenceDataset FromVariableLengthCsv(string path, int features, int classes, Device? device = null)
    {
        var (values, labels, lengths, steps) = SequenceCsv.Read(path, steps: null, features, classes);
        return FromArrays(values, steps, features, labels, classes, lengths, device);
    }

    private static void Check(Tensor sequences, Tensor labels, int classes, Tensor? lengths, bool fromImages)
    {
        static string Shape(Tensor t) => $"({string.Join(", ", t.shape)})";
        if (sequences.dim() != 3)
            throw new ArgumentException(
                $"sequences must have shape (count, steps, features), got {Shape(sequences)}" +
                (sequences.dim() == 2 ? "; a series of single values needs a last dimension of 1: pass sequences.unsqueeze(-1)." : "."));
        if (sequences.shape[0] < 1 || sequences.shape[1] < 1 || sequences.shape[2] < 1)
            throw new ArgumentException($"sequences must hold at least one sequence of one step of one feature, got shape {Shape(sequences)}.");
        if (sequences.dtype != ScalarType.Float32 && !(fromImages && sequences.dtype == ScalarType.Byte))
            throw new ArgumentException($"sequences must be float32, got {sequences.dtype}; convert them with .to(ScalarType.Float32).");
        if (labels.dim() != 1 || labels.shape[0] != sequences.shape[0])
            throw new ArgumentException($"labels must have shape ({sequences.shape[0]}), one per sequence, got {Shape(labels)}.");
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"labels must be int64, got {labels.dtype}; convert them with .to(ScalarType.Int64).");
        if (labels.device_type != sequences.device_type || labels.device_index != sequences.device_index)
            throw new ArgumentException($"labels are on {labels.device} but sequences on {sequences.device}; move both to one device.");
        if (classes is < 2 or > Models.RecurrentClassifierOptions.MaxClasses)
            throw new ArgumentException($"classes must be 2 to {Models.RecurrentClassifierOptions.MaxClasses}, got {classes}.");
        using var scope = NewDisposeScope();
        if (FirstIndex(labels.lt(0).logical_or_(labels.ge(classes))) is long badLabel)
            throw new ArgumentException(
                $"labels must lie in 0 to {classes - 1} for {classes} classes, but item {badLabel} is {labels[badLabel].item<long>()}.");
        if (lengths is not null)
        {
            if (lengths.dim() != 1 || lengths.shape[0] != sequences.shape[0] || lengths.dtype != ScalarType.Int64)
                throw new ArgumentException($"lengths must be int64 with shape ({sequences.shape[0]}), one per sequence, got {lengths.dtype} {Shape(lengths)}.");
            if (lengths.device_type != DeviceType.CPU)
                throw new ArgumentException($"lengths must be on the CPU, where packing reads them, got {lengths.device}; pass lengths.cpu().");
            if (FirstIndex(lengths.lt(1).logical_or_(lengths.gt(sequences.shape[1]))) is long badLength)
                throw new ArgumentException(
                    $"lengths must lie in 1 to {sequences.shape[1]} steps, but item {badLength} is {lengths[badLength].item<long>()}.");
        }
        if (fromImages) return;
        // Steps past a sequence's length are never read, so what the padding holds (NaN included) is the caller's affair.
        var nonFinite = sequences.isfinite().logical_not_().any(2);
        if (lengths is not null) nonFinite.logical_and_(arange(sequences.shape[1]).unsqueeze(0).lt(lengths.unsqueeze(1)).to(sequences.device));
        if (FirstIndex(nonFinite.any(1)) is long badSequence)
            throw new ArgumentException(
                $"sequences must be finite{(lengths is null ? "" : " within their lengths")}, but item {badSequence} holds NaN or infinity.");
    }

    // The first index where a boolean vector is true, or null; read back once.
    private static long? FirstIndex(Tensor flags)
    {
        if (!flags.any().item<bool>()) return null;
        return flags.to(ScalarType.Int8).argmax().item<long>();
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stored.Dispose();
        _float32Copy?.Dispose();
        _labels.Dispose();
        _lengths?.Dispose();
    }
}
