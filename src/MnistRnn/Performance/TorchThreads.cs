using System.Diagnostics;
using static TorchSharp.torch;

namespace MnistRnn.Performance;

/// <summary>
/// The CPU threads libtorch computes with, chosen for the machine as it is now. TorchSharp's default is every core, and
/// on a machine with other work on it that can make training many times slower than one thread (docs/performance.md
/// has the figures), because every parallel region waits for a thread that has lost its core.
/// Nothing here runs unless called: the library never changes libtorch's global thread count on its own.
/// </summary>
public static class TorchThreads
{
    /// <summary>
    /// Times a small workload shaped like a recurrent training step at <see cref="PhysicalCores"/> threads, half of
    /// them, a quarter, ... and 1 (about a tenth of a second on a quiet machine), sets libtorch's thread count to the
    /// fastest and returns it. On a quiet machine that is all the physical cores; on a busy one, fewer. The runner does
    /// this at start-up unless <c>--threads</c> is given.
    /// </summary>
    public static int UseWhatThisMachineCanGive()
    {
        int cores = PhysicalCores();
        // On a thread of its own: OpenMP keeps a pool of worker threads for each thread that starts parallel work, and
        // the pool left on the caller's thread by the probe slowed the training that followed by a quarter (6,960 to
        // 7,870 against 9,660 to 10,600 samples/s, LSTM at 2 threads). A pool ends with its thread.
        int fastest = cores;
        var probe = new Thread(() => fastest = Fastest(cores)) { Name = "thread-count probe" };
        probe.Start();
        probe.Join();
        set_num_threads(fastest);
        return fastest;
    }

    /// <summary>
    /// The logical cores this process may use (affinity and container quota, as .NET counts them) scaled by
    /// the machine's share of physical cores: two hyperthreads of one core share its vector units, so a
    /// second libtorch thread on them mostly waits.
    /// </summary>
    public static int PhysicalCores()
    {
        int logical = Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux()) return logical;
        try
        {
            var siblingLists = Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*")
                .Where(folder => Path.GetFileName(folder)[3..].All(char.IsAsciiDigit))
                .Select(folder => Path.Combine(folder, "topology", "thread_siblings_list"))
                .Where(File.Exists)
                .Select(file => File.ReadAllText(file).Trim())
                .ToList();
            if (siblingLists.Count == 0) return logical;
            int cores = siblingLists.Distinct().Count();
            return Math.Max(1, (int)Math.Round(logical * (double)cores / siblingLists.Count));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return logical;
        }
    }

    private const int Rounds = 3;
    private const int OperationsPerRound = 40;
    // A smaller count must beat the best larger one clearly, so that noise on a quiet machine never halves its speed.
    private const double RequiredGain = 0.9;

    /// <summary>The fastest of <paramref name="cores"/>, half of it, a quarter, ... and 1.</summary>
    private static int Fastest(int cores)
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
