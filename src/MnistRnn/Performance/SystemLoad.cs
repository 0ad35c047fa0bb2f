using System.Globalization;

namespace MnistRnn.Performance;

/// <summary>
/// How busy the CPUs this process may run on are, read from the kernel's counters (Linux's /proc/stat) over a short
/// window: it takes the same time however loaded the machine is, and it sees load that a timed workload would only
/// see by waiting for it.
/// </summary>
internal static class SystemLoad
{
    /// <summary>How long the counters are watched: ten of the kernel's 10 ms ticks per CPU, enough to tell a busy core from an idle one.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    // /proc/stat has one line of about a hundred characters per CPU; a file beyond this is not the kernel's.
    private const int MaxStatChars = 1 << 20;

    /// <summary>
    /// The CPU time other work took on the CPUs this process may run on, in CPUs (1.0: one CPU busy all the time), and
    /// how many CPUs that is; null where the system does not publish the counters. The calling thread sleeps meanwhile,
    /// so other work is everything else, this process's other threads included (another training beside this one).
    /// </summary>
    public static (double Busy, int Cpus)? Measure()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var allowed = AllowedCpus(File.ReadAllText("/proc/self/status"));
            var before = Counters(ReadStat());
            Thread.Sleep(Window);
            var after = Counters(ReadStat());
            return Busy(before, after, allowed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>
    /// The busy CPUs between two readings of <see cref="Counters"/>, counting only <paramref name="allowed"/> (all when null),
    /// and how many CPUs were counted; null when none was.
    /// </summary>
    public static (double Busy, int Cpus)? Busy(IReadOnlyDictionary<int, (long Busy, long Total)> before,
        IReadOnlyDictionary<int, (long Busy, long Total)> after, IReadOnlySet<int>? allowed)
    {
        double busy = 0;
        int cpus = 0;
        foreach (var (cpu, end) in after)
        {
            if (allowed is not null && !allowed.Contains(cpu)) continue;
            if (!before.TryGetValue(cpu, out var start)) continue;
            long total = end.Total - start.Total;
            cpus++;
            if (total > 0) busy += Math.Clamp((end.Busy - start.Busy) / (double)total, 0, 1);
        }
        return cpus == 0 ? null : (busy, cpus);
    }

    /// <summary>
    /// Each CPU's busy and total time from the text of /proc/stat: its <c>cpuN</c> lines, whose fields are user, nice,
    /// system, idle, iowait, irq, softirq and steal time (steal: time a virtual machine's host gave to someone else).
    /// </summary>
    /// <exception cref="FormatException">A CPU line is not numbers.</exception>
    public static Dictionary<int, (long Busy, long Total)> Counters(string stat)
    {
        var counters = new Dictionary<int, (long, long)>();
        foreach (var line in stat.Split('\n'))
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal) || line.Length < 4 || !char.IsAsciiDigit(line[3])) continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5) throw new FormatException($"short CPU line in /proc/stat: {line}");
            int cpu = int.Parse(fields[0].AsSpan(3), CultureInfo.InvariantCulture);
            long[] times = [.. fields.Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture))];
            long idle = times[3] + (times.Length > 4 ? times[4] : 0);
            long total = times.Sum();
            counters[cpu] = (total - idle, total);
        }
        return counters;
    }

    /// <summary>The CPUs of the <c>Cpus_allowed_list</c> line of /proc/self/status (affinity and cpuset), such as <c>0-3,8</c>; null without one.</summary>
    /// <exception cref="FormatException">The list is not CPU numbers and ranges.</exception>
    public static HashSet<int>? AllowedCpus(string status)
    {
        const string key = "Cpus_allowed_list:";
        var line = status.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        if (line is null) return null;
        var cpus = new HashSet<int>();
        foreach (var part in line[key.Length..].Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            int first = int.Parse(ends[0], CultureInfo.InvariantCulture);
            int last = ends.Length == 2 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : first;
            if (ends.Length > 2 || last < first || cpus.Count + (last - first) > MaxCpus) throw new FormatException($"not a CPU range: {part}");
            for (int cpu = first; cpu <= last; cpu++) cpus.Add(cpu);
        }
        return cpus;
    }

    // Far more CPUs than any machine has, so that a crafted range cannot make a set of billions.
    private const int MaxCpus = 1 << 16;

    private static string ReadStat()
    {
        using var stream = new FileStream("/proc/stat", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        using var reader = new StreamReader(stream);
        var text = new System.Text.StringBuilder();
        var chunk = new char[16384];
        for (int read; (read = reader.Read(chunk, 0, chunk.Length)) > 0;)
        {
            text.Append(chunk, 0, read);
            if (text.Length > MaxStatChars) throw new IOException("/proc/stat is larger than the kernel writes it");
        }
        return text.ToString();
    }
}
