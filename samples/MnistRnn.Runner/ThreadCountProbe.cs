using System.Diagnostics;
using static TorchSharp.torch;

namespace MnistRnn.Runner;

/// <summary>
/// Times a small workload shaped like a recurrent training step at several thread counts and returns the
/// fastest. On a quiet machine that is all the cores (1.5 to 2 times faster than one); on a busy one, or a
/// virtual machine whose host is busy, fewer: every parallel region waits for its slowest thread, and a
/// thread that has lost its core holds the others for a whole scheduler time slice.
/// </summary>
internal static class ThreadCountProbe
{
    private const int Rounds = 3;
    private const int OperationsPerRound = 40;
    // A smaller count must beat the best larger one clearly, so that noise on a quiet machine never halves its speed.
    private const double RequiredGain = 0.9;

    /// <summary>The fastest of <paramref name="cores"/>, half of it, a quarter, ... and 1.</summary>
    public static int Fastest(int cores)
    {
        var candidates = new List<int>();
        for (int count = Math.Max(1, cores); ; count /= 2)
        {
            candidates.Add(count);
            if (count == 1) break;
        }
        if (candidates.Count == 1) return 1;

        using var scope = NewDisposeScope();
        // One step of the experiment's LSTM at batch 100: its gate product, then an element-wise
        // nonlinearity large enough for libtorch to split across threads.
        var input = rand(100, 156);
        var weights = rand(156, 512);
        var times = candidates.ToDictionary(count => count, _ => new List<double>());
        foreach (int count in candidates) Measure(count, input, weights); // thread pools start on first use
        for (int round = 0; round < Rounds; round++)
            foreach (int count in candidates)
                times[count].Add(Measure(count, input, weights));

        int fastest = candidates[0];
        foreach (int count in candidates.Skip(1))
            if (Median(times[count]) < Median(times[fastest]) * RequiredGain) fastest = count;
        return fastest;
    }

    private static double Measure(int threads, Tensor input, Tensor weights)
    {
        set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < OperationsPerRound; i++)
        {
            using var gates = input.matmul(weights);
            gates.sigmoid_();
        }
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
