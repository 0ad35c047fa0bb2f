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
    /// so other work is everything else, this process's other threads included (another training beside this one), but
    /// for the process that launched this one: <c>dotnet run</c> keeps a CPU busy for seconds after it starts the program
    /// it built, and waits for it after that, so its work is not work that a run trains beside.
    /// </summary>
    public static (double Busy, int Cpus)? Measure()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var allowed = AllowedCpus(File.ReadAllText("/proc/self/status"));
            string? launcher = LauncherStat();
            long? launcherBefore = CpuTicks(launcher);
            var before = Counters(ReadStat());
            Thread.Sleep(Window);
            var after = Counters(ReadStat());
            long? launcherAfter = CpuTicks(launcher);
            var load = Busy(before, after, allowed);
            if (load is not (double busy, int cpus) || launcherBefore is not long start || launcherAfter is not long end) return load;
            // Ticks of the kernel's clock, as /proc/stat counts them: the launcher's share is its ticks over one CPU's.
            double ticksPerCpu = after.Where(c => before.ContainsKey(c.Key)).Select(c => c.Value.Total - before[c.Key].Total).DefaultIfEmpty(0).Average();
            return ticksPerCpu > 0 ? (Math.Max(0, busy - (end - start) / ticksPerCpu), cpus) : load;
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

    // The stat file of the process that started this one, unless that is init (which launches nothing that waits for it).
    private static string? LauncherStat()
    {
        var self = StatFields(File.ReadAllText("/proc/self/stat"));
        return self is not null && int.TryParse(self[1], NumberStyles.None, CultureInfo.InvariantCulture, out int parent) && parent > 1
            ? $"/proc/{parent}/stat" : null;
    }

    /// <summary>User and system time of the process whose stat file is <paramref name="path"/>, in clock ticks; null when it cannot be read (it has ended).</summary>
    private static long? CpuTicks(string? path)
    {
        if (path is null) return null;
        try
        {
            var fields = StatFields(File.ReadAllText(path));
            return fields is not null && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out long user)
                && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out long system) ? user + system : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The fields of a <c>/proc/PID/stat</c> line after the command's name, which may hold spaces and parentheses: state,
    /// ppid, ... (index 11 is utime, 12 stime); null when the line is not one.
    /// </summary>
    internal static string[]? StatFields(string stat)
    {
        int end = stat.LastIndexOf(')');
        if (end < 0 || stat.Length > 4096) return null;
        var fields = stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 12 ? fields : null;
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
