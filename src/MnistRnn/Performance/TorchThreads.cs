using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Performance;

/// <summary>
/// The CPU threads libtorch computes with, chosen for the machine as it is now. libtorch's default is every physical core,
/// and on a machine with other work on it that can make training many times slower than one thread (docs/performance.md
/// has the figures), because every parallel region waits for a thread that has lost its core. <see cref="Trainer"/>
/// makes this choice itself when <see cref="TrainingOptions.Threads"/> is not given; call
/// <see cref="UseWhatThisMachineCanGive"/> for other work, such as evaluation.
/// </summary>
public static class TorchThreads
{
    /// <summary>
    /// Reads how busy the CPUs this process may run on are over 0.1 s (<see cref="ForThisMachine"/>), sets libtorch's
    /// thread count on this thread to the physical cores that other work leaves free, at least 1, and returns it: all the
    /// physical cores on a quiet machine, fewer on a busy one. The runner does this at start-up unless <c>--threads</c> is
    /// given.
    /// </summary>
    public static int UseWhatThisMachineCanGive()
    {
        int threads = ForThisMachine().Threads;
        set_num_threads(threads);
        return threads;
    }

    /// <summary>
    /// Whether libtorch may be given <paramref name="threads"/> threads: 1 to the logical cores this process may use. More
    /// threads than CPUs only adds waiting, since each parallel region waits for its slowest thread.
    /// </summary>
    public static bool IsUsable(int threads) => threads >= 1 && threads <= Environment.ProcessorCount;

    /// <summary>
    /// The logical cores this process may use (affinity and container quota, as .NET counts them) scaled by
    /// the machine's share of physical cores: two hyperthreads of one core share its vector units, so a
    /// second libtorch thread on them mostly waits.
    /// </summary>
    public static int PhysicalCores()
    {
        int logical = Environment.ProcessorCount;
        return HostTopology() is (int hostLogical, int hostPhysical)
            ? Math.Max(1, (int)Math.Round(logical * (double)hostPhysical / hostLogical))
            : logical;
    }

    /// <summary>
    /// A CPU counts as taken by other work when the load reading finds it busy more than this share of the time (summed
    /// over CPUs): a busy loop reads about 1.0, a quiet machine under 0.1, so neither is near the line.
    /// </summary>
    internal const double TakenCpuShare = 0.5;

    /// <summary>
    /// The thread count for this machine's load as it is now, and why; takes <see cref="SystemLoad.Window"/> on a quiet
    /// machine, and up to <see cref="LastingLoadWindow"/> on a busy one (<see cref="LastingLoad"/>).
    /// </summary>
    internal static ThreadChoice ForThisMachine()
    {
        var topology = HostTopology();
        double physicalPerLogical = topology is (int logical, int physical) ? physical / (double)logical : 1;
        return Decide(PhysicalCores(), physicalPerLogical, LastingLoad(SystemLoad.Measure, Thread.Sleep));
    }

    /// <summary>How long the load must last to count: the readings it takes at most, and the pause between two.</summary>
    internal const int LastingLoadReadings = 4;
    internal static readonly TimeSpan LastingLoadPause = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a busy machine is watched before its load counts: about 1 s.</summary>
    internal static TimeSpan LastingLoadWindow => LastingLoadReadings * SystemLoad.Window + (LastingLoadReadings - 1) * LastingLoadPause;

    /// <summary>
    /// The load that lasts: a reading that finds a CPU taken is read again, up to <see cref="LastingLoadReadings"/> times
    /// <see cref="LastingLoadPause"/> apart, and the least busy reading counts. Work that ends within a second (the build
    /// <c>dotnet run</c> has just finished, this process's own start-up) is not the load a run trains beside for minutes,
    /// and chose 1 thread on an idle machine three times in three; a busy loop reads the same every time. A quiet
    /// machine is read once.
    /// </summary>
    internal static (double Busy, int Cpus)? LastingLoad(Func<(double Busy, int Cpus)?> measure, Action<TimeSpan> pause)
    {
        var least = measure();
        for (int reading = 1; reading < LastingLoadReadings && least is { Busy: >= 1 - TakenCpuShare }; reading++)
        {
            pause(LastingLoadPause);
            if (measure() is { } again && (least is null || again.Busy < least.Value.Busy)) least = again;
        }
        return least;
    }

    /// <summary>
    /// The decision itself: the CPUs measured less those other work holds (<see cref="TakenCpuShare"/>), as physical cores,
    /// between 1 and <paramref name="physicalCores"/>; all of them without a reading.
    /// </summary>
    internal static ThreadChoice Decide(int physicalCores, double physicalPerLogical, (double Busy, int Cpus)? load)
    {
        string cores = $"{physicalCores} physical core{(physicalCores == 1 ? "" : "s")}";
        if (load is not (double busy, int cpus))
            return new(physicalCores, ThreadSource.Load, $"this system publishes no CPU load figures, so all {cores} this process may use");
        int taken = (int)Math.Floor(busy + TakenCpuShare);
        int threads = Math.Clamp((int)Math.Floor((cpus - taken) * physicalPerLogical), 1, physicalCores);
        string measured = $"other work kept {busy:F2} of the {cpus} CPUs this process may run on busy over {SystemLoad.Window.TotalMilliseconds:F0} ms" +
            (taken > 0 ? $", and did in every reading over {LastingLoadWindow.TotalSeconds:F1} s" : "");
        return new(threads, ThreadSource.Load, threads == physicalCores
            ? $"{measured}, which leaves all {cores} this process may use"
            : $"{measured}, which leaves {threads} of the {cores} this process may use");
    }

    /// <summary>Set by <see cref="Studies.SeedStudy"/> on its thread while it runs, so that the trainer keeps the study's count.</summary>
    [ThreadStatic]
    internal static bool FixedByStudy;

    /// <summary>
    /// Why the thread count on this thread was set before training (a study, an environment variable, or
    /// <c>torch.set_num_threads</c> to a count libtorch and .NET never pick by themselves), or null when it was not.
    /// </summary>
    internal static string? SetBeforeTraining()
    {
        if (FixedByStudy) return "SeedStudy fixes it for the whole study";
        foreach (string variable in (string[])["OMP_NUM_THREADS", "MKL_NUM_THREADS"])
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)))
                return $"{variable} is set, and libtorch took its count from it";
        int current = get_num_threads();
        // A count equal to one of the machine's own may be libtorch's default rather than a choice; TrainingOptions.Threads pins those.
        int[] defaults = [Environment.ProcessorCount, PhysicalCores(), .. HostTopology() is (int logical, int physical) ? [logical, physical] : (int[])[]];
        return defaults.Contains(current) ? null : $"torch.set_num_threads({current}) was called before training, and a count set by hand is kept";
    }

    // The machine's logical CPUs and the physical cores behind them, from the kernel's topology files; null where there are none.
    private static (int Logical, int Physical)? HostTopology()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var siblingLists = Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*")
                .Where(folder => Path.GetFileName(folder)[3..].All(char.IsAsciiDigit))
                .Select(folder => Path.Combine(folder, "topology", "thread_siblings_list"))
                .Where(File.Exists)
                .Select(file => File.ReadAllText(file).Trim())
                .ToList();
            return siblingLists.Count == 0 ? null : (siblingLists.Count, siblingLists.Distinct().Count());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
