using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MnistRnn.Tests.Support;

/// <summary>
/// A real one-node Slurm cluster on this machine for the tests that submit to one: Debian's slurmctld and slurmd with a
/// configuration of their own in a temporary folder (free ports, state and logs there), and munged for authentication.
/// Needs root and the packages <c>slurmctld slurmd slurm-client munge</c>, which <c>.ci/run</c> installs; stops what it started.
/// </summary>
internal sealed class SlurmCluster : IDisposable
{
    private readonly TempFolder _folder;
    private readonly bool _startedMunge;

    private SlurmCluster(TempFolder folder, bool startedMunge)
    {
        _folder = folder;
        _startedMunge = startedMunge;
    }

    /// <summary>The configuration every Slurm command of the tests must be given (as <c>SLURM_CONF</c>).</summary>
    public string ConfigFile => _folder.File("slurm.conf");

    /// <summary>The environment a process needs to use this cluster.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SLURM_CONF"] = ConfigFile };

    /// <summary>Starts the cluster and waits for its node to be idle; null, with the reason, where this machine cannot run one.</summary>
    public static SlurmCluster? TryStart(out string whyNot)
    {
        whyNot = "";
        string[] programs = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch", "/usr/bin/scontrol", "/usr/bin/squeue", "/usr/bin/sinfo"];
        if (!OperatingSystem.IsLinux() || System.Environment.UserName != "root")
        {
            whyNot = "a one-node Slurm cluster needs Linux and root";
            return null;
        }
        if (programs.FirstOrDefault(p => !File.Exists(p)) is { } missing)
        {
            whyNot = $"{missing} is not installed (apt-get install slurmctld slurmd slurm-client munge)";
            return null;
        }
        bool startedMunge = false;
        if (Run("pgrep", "-x", "munged").ExitCode != 0)
        {
            if (!File.Exists("/etc/munge/munge.key"))
            {
                whyNot = "munge has no key in /etc/munge/munge.key";
                return null;
            }
            Directory.CreateDirectory("/run/munge");
            Run("chown", "munge:munge", "/run/munge");
            var munge = Run("runuser", "-u", "munge", "--", "/usr/sbin/munged");
            if (munge.ExitCode != 0)
            {
                whyNot = $"munged did not start: {munge.Error.Trim()}";
                return null;
            }
            startedMunge = true;
        }
        var folder = new TempFolder();
        var cluster = new SlurmCluster(folder, startedMunge);
        try
        {
            foreach (string sub in new[] { "state", "spool", "log" }) Directory.CreateDirectory(folder.File(sub));
            string node = Run("hostname", "-s").Output.Trim();
            File.WriteAllText(cluster.ConfigFile, $"""
                ClusterName=mnistrnntests
                SlurmctldHost={node}
                SlurmUser=root
                SlurmdUser=root
                AuthType=auth/munge
                ProctrackType=proctrack/linuxproc
                TaskPlugin=task/none
                SelectType=select/cons_tres
                SelectTypeParameters=CR_CPU
                SchedulerType=sched/backfill
                StateSaveLocation={folder.File("state")}
                SlurmdSpoolDir={folder.File("spool")}
                SlurmctldPidFile={folder.File("slurmctld.pid")}
                SlurmdPidFile={folder.File("slurmd.pid")}
                SlurmctldLogFile={folder.File("log/slurmctld.log")}
                SlurmdLogFile={folder.File("log/slurmd.log")}
                SlurmctldPort={FreePort()}
                SlurmdPort={FreePort()}
                ReturnToService=2
                MpiDefault=none
                JobCompType=jobcomp/none
                AccountingStorageType=accounting_storage/none
                JobAcctGatherType=jobacct_gather/none
                NodeName={node} CPUs={System.Environment.ProcessorCount} RealMemory=1000 State=UNKNOWN
                PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP

                """);
            foreach (string daemon in new[] { "/usr/sbin/slurmctld", "/usr/sbin/slurmd" })
            {
                var started = Run(daemon, "-f", cluster.ConfigFile);
                if (started.ExitCode != 0) throw new InvalidOperationException($"{daemon} did not start: {started.Error.Trim()}");
            }
            var clock = Stopwatch.StartNew();
            while (cluster.Slurm("sinfo", "-h", "-o", "%t").Output.Trim() != "idle")
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                    throw new InvalidOperationException($"the node did not become idle within a minute: {cluster.Slurm("sinfo").Output}");
                Thread.Sleep(250);
            }
            return cluster;
        }
        catch (InvalidOperationException e)
        {
            whyNot = e.Message;
            cluster.Dispose();
            return null;
        }
    }

    /// <summary>Runs a Slurm client command against this cluster.</summary>
    public (int ExitCode, string Output, string Error) Slurm(string program, params string[] args) => Run(program, Environment, args);

    /// <summary>Waits until job <paramref name="job"/> has left the queue.</summary>
    public void WaitFor(string job, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Slurm("squeue", "-h", "-j", job).Output.Trim().Length > 0)
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"job {job} was still queued after {timeout}: {Slurm("squeue").Output}");
            Thread.Sleep(500);
        }
    }

    /// <summary>The controller's log, for a failure message.</summary>
    public string Log => File.Exists(_folder.File("log/slurmctld.log")) ? File.ReadAllText(_folder.File("log/slurmctld.log")) : "";

    public void Dispose()
    {
        Slurm("scontrol", "shutdown");
        foreach (string pidFile in new[] { "slurmctld.pid", "slurmd.pid" }) WaitForExit(_folder.File(pidFile));
        if (_startedMunge) Run("pkill", "-x", "munged");
        _folder.Dispose();
    }

    private static void WaitForExit(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid)) return;
        try
        {
            using var process = Process.GetProcessById(pid);
            if (!process.WaitForExit(TimeSpan.FromSeconds(30))) process.Kill();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (int ExitCode, string Output, string Error) Run(string program, params string[] args) => Run(program, null, args);

    private static (int ExitCode, string Output, string Error) Run(string program, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }
}
