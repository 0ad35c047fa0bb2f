using System.Globalization;
using MnistRnn.Models;

namespace MnistRnn.Training;

/// <summary>
/// What training needs in memory, checked against what the machine has before anything large is allocated,
/// so an impossible size is one sentence rather than a native allocation failure or the kernel's OOM killer.
/// CPU memory only: CUDA memory is reported by the device when it runs out.
/// </summary>
internal static class MemoryEstimate
{
    /// <summary>
    /// Bytes of weights, gradients, Adam's moments and the step's copies of them (6 sets), plus the activations
    /// kept for backward: 6 floats per gate and 2 more per hidden unit, time step and sequence. Measured on the
    /// reference machine (peak working set over 3 steps): an LSTM (26 by this count) keeps 26, a tanh RNN
    /// (8 by this count) about 5.5, so the estimate errs on the high side.
    /// </summary>
    public static double TrainingBytes(CellKind kind, int inputSize, int hiddenSize, int classes, int sequenceLength, int batchSize) =>
        TrainingBytes(new RecurrentClassifierOptions(kind, inputSize, hiddenSize, classes), sequenceLength, batchSize);

    /// <summary>As above for any architecture: activations are kept for every layer and direction.</summary>
    public static double TrainingBytes(RecurrentClassifierOptions architecture, int sequenceLength, int batchSize)
    {
        double gates = architecture.Cell switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };
        double weights = architecture.ParameterCount * (double)sizeof(float);
        double units = (double)architecture.HiddenSize * architecture.Layers * architecture.Directions;
        return 6 * weights + (double)batchSize * sequenceLength * units * (6 * gates + 2) * sizeof(float);
    }

    /// <summary>Bytes this process can still allocate: the system's available memory, within its container's limit.</summary>
    public static double AvailableBytes()
    {
        var gc = GC.GetGCMemoryInfo();
        double limit = gc.TotalAvailableMemoryBytes - (double)Environment.WorkingSet;
        return Math.Min(limit, MemAvailable() ?? limit);
    }

    /// <summary>The share of <see cref="AvailableBytes"/> one piece of work may claim, leaving room for the rest of the process and the machine.</summary>
    public const double UsableShare = 0.9;

    /// <summary>Throws when <paramref name="bytes"/> exceed <see cref="UsableShare"/> of <see cref="AvailableBytes"/>.</summary>
    /// <param name="bytes">What the work needs.</param>
    /// <param name="work">The work, for the message: "training the lstm model of hidden size 128 on batches of 100 sequences".</param>
    /// <param name="advice">What to make smaller.</param>
    /// <exception cref="InsufficientMemoryException">It does not fit.</exception>
    public static void EnsureFits(double bytes, string work, string advice)
    {
        double available = AvailableBytes();
        if (bytes > UsableShare * available)
            throw new InsufficientMemoryException(
                $"{Capitalised(work)} needs about {Gigabytes(bytes)} of memory, more than {UsableShare * 100:0}% of the {Gigabytes(available)} available; {advice}.");
    }

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static string Gigabytes(double bytes) => (bytes / (1L << 30)).ToString(bytes < 10L << 30 ? "0.00" : "N0", CultureInfo.InvariantCulture) + " GB";

    // MemAvailable from /proc/meminfo: free memory plus what the kernel can reclaim; null off Linux.
    private static double? MemAvailable()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return null;
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return double.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // No figure: the container limit alone bounds the estimate.
        }
        return null;
    }
}
