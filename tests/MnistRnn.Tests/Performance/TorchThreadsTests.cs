using MnistRnn.Performance;
using MnistRnn.Tests.Support;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Performance;

/// <summary>
/// The thread count for the machine's load: the decision from load readings (fake ones, for machines this suite never
/// runs on), the reading of /proc/stat (crafted texts, and the real one beside a busy loop), and the public call.
/// </summary>
[Category("Unit")]
[NonParallelizable]
public sealed class TorchThreadsTests
{
    [TestCase(2, 1.0, 0.04, 2, 2, TestName = "Quiet 2 cores: both")]
    [TestCase(2, 1.0, 0.45, 2, 2, TestName = "Under half a core taken: both")]
    [TestCase(2, 1.0, 0.55, 2, 1, TestName = "Over half a core taken: one")]
    [TestCase(2, 1.0, 1.02, 2, 1, TestName = "One busy loop on 2 cores: one")]
    [TestCase(2, 1.0, 2.00, 2, 1, TestName = "Two busy loops on 2 cores: still one")]
    [TestCase(8, 0.5, 1.00, 16, 7, TestName = "8 hyperthreaded cores, one CPU taken: the 7 cores without a busy sibling")]
    [TestCase(2, 0.5, 40.0, 128, 2, TestName = "A quota of 2 cores on a host with 88 idle CPUs: the quota")]
    public void The_physical_cores_that_other_work_leaves_free_at_least_one(int physicalCores, double physicalPerLogical, double busy, int cpus, int expected)
    {
        var choice = TorchThreads.Decide(physicalCores, physicalPerLogical, (busy, cpus));

        Assert.That(choice.Threads, Is.EqualTo(expected));
        Assert.That(choice.Source, Is.EqualTo(MnistRnn.Training.ThreadSource.Load));
        Assert.That(choice.Reason, Does.Contain($"{busy:F2} of the {cpus} CPUs").And.Contain($"{physicalCores} physical cores"));
    }

    [TestCase(new[] { 0.05 }, 0.05, 0, TestName = "A quiet machine is read once")]
    [TestCase(new[] { 1.0, 0.1 }, 0.1, 1, TestName = "Load that ends within a second (a build, a start-up) does not count")]
    [TestCase(new[] { 1.0, 0.9, 1.1, 0.95 }, 0.9, 3, TestName = "Load that lasts counts, at its least, after about a second")]
    [TestCase(new[] { 2.0, 1.0, 1.0, 1.0 }, 1.0, 3, TestName = "Two loops, one of them ending: the one that lasts")]
    public void Only_load_that_lasts_counts(double[] readings, double counted, int pauses)
    {
        int read = 0, paused = 0;

        var load = TorchThreads.LastingLoad(() => (readings[read++], 2), _ => paused++);

        Assert.That(load, Is.EqualTo(((double, int)?)(counted, 2)));
        Assert.That((read, paused), Is.EqualTo((pauses + 1, pauses)));
        Assert.That(TorchThreads.LastingLoad(() => null, _ => paused++), Is.Null, "no figures, no waiting");
    }

    [Test]
    public void A_process_stat_line_is_read_after_its_command_name_whatever_that_holds()
    {
        var fields = SystemLoad.StatFields("4242 (dotnet run) (x) S 99 4242 4242 0 -1 4194560 100 0 0 0 531 47 0 0 20 0 12 0 300");

        Assert.That((fields![0], fields[1], fields[11], fields[12]), Is.EqualTo(("S", "99", "531", "47")), "state, parent, user and system ticks");
        Assert.That(SystemLoad.StatFields("no parentheses here"), Is.Null);
        Assert.That(SystemLoad.StatFields("1 (short) S 0"), Is.Null);
    }

    [Test]
    public void Without_load_figures_all_physical_cores()
    {
        var choice = TorchThreads.Decide(4, 1.0, null);

        Assert.That(choice.Threads, Is.EqualTo(4));
        Assert.That(choice.Reason, Does.Contain("no CPU load figures"));
    }

    [Test]
    public void The_busy_time_per_CPU_comes_from_proc_stat_steal_included_idle_and_iowait_not()
    {
        const string before = "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 0 0 0 100 0 0 0 0 0 0\ncpu1 0 0 0 100 0 0 0 0 0 0\ncpu2 0 0 0 100 0 0 0 0 0 0\nintr 5\n";
        // CPU 0 fully busy (user and system), CPU 1 half stolen by the host and half in I/O wait, CPU 2 idle.
        const string after = "cpu  99 0 99 99 0 0 0 0 0 0\ncpu0 60 0 40 100 0 0 0 0 0 0\ncpu1 0 0 0 100 50 0 0 50 0 0\ncpu2 0 0 0 200 0 0 0 0 0 0\nintr 9\n";

        var all = SystemLoad.Busy(SystemLoad.Counters(before), SystemLoad.Counters(after), allowed: null);
        var allowed = SystemLoad.Busy(SystemLoad.Counters(before), SystemLoad.Counters(after), allowed: new HashSet<int> { 1, 2 });

        Assert.That(all, Is.EqualTo((1.5, 3)));
        Assert.That(allowed, Is.EqualTo((0.5, 2)));
    }

    [TestCase("Name:\tx\nCpus_allowed_list:\t0-3,8\n", new[] { 0, 1, 2, 3, 8 })]
    [TestCase("Cpus_allowed_list:\t5\n", new[] { 5 })]
    public void The_CPUs_this_process_may_run_on_come_from_its_status(string status, int[] expected)
    {
        Assert.That(SystemLoad.AllowedCpus(status), Is.EquivalentTo(expected));
    }

    [TestCase("Cpus_allowed_list:\t0-2147483647\n", TestName = "A crafted range of billions of CPUs")]
    [TestCase("Cpus_allowed_list:\t0-60000,60001-120000\n", TestName = "Ranges that add up to more CPUs than any machine has")]
    [TestCase("Cpus_allowed_list:\t3-1\n", TestName = "A backwards range")]
    [TestCase("Cpus_allowed_list:\tall\n", TestName = "Not numbers")]
    public void A_status_line_that_is_not_a_CPU_list_is_refused_before_allocating(string status)
    {
        Assert.That(() => SystemLoad.AllowedCpus(status), Throws.InstanceOf<FormatException>());
    }

    [Test]
    public void A_busy_loop_beside_this_process_reads_as_about_one_busy_CPU()
    {
        Assume.That(OperatingSystem.IsLinux(), "the load figures are read from Linux's /proc/stat");
        var quiet = SystemLoad.Measure();
        using var loop = new BusyLoops(1);

        var busy = SystemLoad.Measure();

        Assert.That(quiet, Is.Not.Null);
        Assert.That(busy!.Value.Busy, Is.GreaterThanOrEqualTo(0.75), $"before the loop: {quiet!.Value.Busy:F2}");
    }

    [Test]
    public void The_public_call_sets_what_the_load_leaves_between_one_and_the_physical_cores()
    {
        int before = get_num_threads();
        try
        {
            int chosen = TorchThreads.UseWhatThisMachineCanGive();

            Assert.That(chosen, Is.InRange(1, TorchThreads.PhysicalCores()));
            Assert.That(get_num_threads(), Is.EqualTo(chosen));
            Assert.That(TorchThreads.PhysicalCores(), Is.InRange(1, Environment.ProcessorCount));
        }
        finally
        {
            set_num_threads(before);
        }
    }
}
