using MnistRnn.Runner;
using MnistRnn.Tests.Support;
using MnistRnn.Runner.FileSystem;
using MnistRnn.Runner.Report;
using MnistRnn.Runner.Sweep;

namespace MnistRnn.Tests.Sweeps;

[Category("Unit")]
public sealed class SweepPartsTests
{
    [Test]
    public void Quartiles_interpolate_between_sorted_values()
    {
        var five = Distribution.Of([0.5, 0.1, 0.4, 0.2, 0.3])!;
        var four = Distribution.Of([4, 1, 3, 2])!;

        Assert.That((five.Count, five.Median, five.Min, five.Max, five.LowerQuartile, five.UpperQuartile), Is.EqualTo((5, 0.3, 0.1, 0.5, 0.2, 0.4)));
        Assert.That((four.Median, four.LowerQuartile, four.UpperQuartile, four.InterquartileRange), Is.EqualTo((2.5, 1.75, 3.25, 1.5)));
        Assert.That(Distribution.Of([]), Is.Null);
    }

    [TestCase("1-5", new long[] { 1, 2, 3, 4, 5 })]
    [TestCase("7", new long[] { 7 })]
    [TestCase("1-3, 10,12-13", new long[] { 1, 2, 3, 10, 12, 13 })]
    public void Seeds_are_ranges_and_single_seeds_in_the_order_written(string text, long[] seeds) =>
        Assert.That(SeedList.Parse(text), Is.EqualTo(seeds));

    [Test]
    public void The_slurm_script_asks_for_the_trials_threads_limit_time_and_gpu_and_writes_into_the_trial_folders()
    {
        var plan = SweepPlan.Create(null, null, [], [new SweepAxis("threads", ["1", "2"])], [1, 2, 3], threads: 1);

        string script = SlurmJob.Script("/shared/sweep", plan, [0, 1, 2, 4], new SlurmJob.Request(3, "gpu", "02:00:00", Gpu: true), "/shared/mnist", "tuned");

        Assert.That(script, Does.StartWith("#!/bin/bash\n"));
        Assert.That(script, Does.Contain("#SBATCH --array=0-2,4%3\n").And.Contain("#SBATCH --cpus-per-task=2\n").And.Contain("#SBATCH --time=02:00:00\n")
            .And.Contain("#SBATCH --output=\"/shared/sweep/trials/%4a/slurm-%A_%a.out\"\n").And.Contain("#SBATCH --requeue\n")
            .And.Contain("#SBATCH --partition=gpu\n").And.Contain("#SBATCH --gres=gpu:1\n"));
        Assert.That(script, Does.Contain(" sweep --out /shared/sweep --data /shared/mnist --trial \"$SLURM_ARRAY_TASK_ID\"\n"));
        Assert.That(SlurmJob.Script("/shared/my sweep's", plan, [0], new SlurmJob.Request(null, null, "10", Gpu: false), "/d", "tuned"),
            Does.Contain("#SBATCH --output=\"/shared/my sweep's/trials/%4a/slurm-%A_%a.out\"\n").And.Contain(" --out '/shared/my sweep'\\''s' "));
        Assert.That(SlurmJob.Script("/s", plan, [0], new SlurmJob.Request(null, null, "10", Gpu: false), "/d", "tuned"),
            Does.Contain("#SBATCH --array=0\n").And.Contain("#SBATCH --cpus-per-task=1\n").And.Not.Contain("--gres").And.Not.Contain("--partition"));
    }

    [TestCase("/s\n#SBATCH --wrap=x", "/d", null, "--out: '/s?#SBATCH --wrap=x' holds a control character")]
    [TestCase("/s", "/d\r", null, "--data: '/d?' holds a control character")]
    [TestCase("/s", "/d", "gpu\nhostile", "--partition: 'gpu?hostile' holds a control character")]
    [TestCase("/s", "/d", "gpu --wrap", "--partition: 'gpu --wrap' is not a partition name")]
    [TestCase("/s\"x", "/d", null, "--out: /s\"x holds a double quote")]
    public void A_value_that_would_break_the_slurm_script_is_refused_naming_its_flag(string sweep, string data, string? partition, string message)
    {
        var plan = SweepPlan.Create(null, null, [], [], [1], threads: 1);

        var error = Assert.Throws<UserErrorException>(() => SlurmJob.Script(sweep, plan, [0], new SlurmJob.Request(null, partition, "10", Gpu: false), data, "tuned"))!;

        Assert.That(error.ExitCode, Is.EqualTo(2));
        Assert.That(error.Message, Does.StartWith(message));
    }

    [TestCase("echo 4242", "4242", TestName = "sbatch's answer is its job id")]
    [TestCase("echo '4242;cluster-a'", "4242", TestName = "sbatch's answer on a federation names the cluster too")]
    [TestCase("printf '\\033[31m1337\\033[0m\\n'", "sbatch answered '?[31m1337?[0m', which is not a job id", TestName = "An answer with escape codes is not echoed as a job id")]
    [TestCase("head -c 100000000 /dev/zero | tr '\\0' 7", "sbatch answered '777", TestName = "An answer of 100 MB is read no further than a job id could be")]
    [TestCase("echo 'Submitted batch job 42'", "which is not a job id", TestName = "An answer in another format is not a job id")]
    [TestCase("echo 'sbatch: error: invalid partition' >&2; exit 1", "sbatch refused", TestName = "A refusal quotes sbatch")]
    [TestCase("sleep 20", "sbatch did not answer within 1 s", TestName = "A hung sbatch is given up on")]
    public void Sbatchs_answer_is_read_strictly_and_in_bounded_time(string body, string expected)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive("sbatch runs on Linux; the fake one is a POSIX shell script");
            return;
        }
        using var folder = new TempFolder();
        string fake = folder.File("sbatch");
        File.WriteAllText(fake, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string? path = Environment.GetEnvironmentVariable("PATH");
        var timeout = SlurmJob.SubmitTimeout;
        Environment.SetEnvironmentVariable("PATH", $"{folder.Path}:{path}");
        // Short for the hung sbatch only: producing and draining 100 MB takes more than a second on a busy machine.
        SlurmJob.SubmitTimeout = TimeSpan.FromSeconds(body.StartsWith("sleep") ? 1 : 10);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (!expected.Contains(' '))
            {
                Assert.That(SlurmJob.Submit(folder.File("sweep.sbatch"), folder.Path), Is.EqualTo(expected));
                return;
            }
            var error = Assert.Throws<UserErrorException>(() => SlurmJob.Submit(folder.File("sweep.sbatch"), folder.Path))!;
            Assert.That(error.ExitCode, Is.EqualTo(ExitCodes.SchedulerRefused));
            Assert.That(error.Message, Does.Contain(expected));
            Assert.That(error.Message.Any(char.IsControl), Is.False, "one printable line");
            Assert.That(error.Message.Length, Is.LessThan(600));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(15)));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
            SlurmJob.SubmitTimeout = timeout;
        }
    }

    [TestCase("01:00:00", true)]
    [TestCase("90", true)]
    [TestCase("1-12:00:00", true)]
    [TestCase("1-12", true)]
    [TestCase("soon", false)]
    [TestCase("1:2:3:4", false)]
    public void Time_limits_are_what_sbatch_reads(string text, bool valid) => Assert.That(SlurmJob.IsTimeLimit(text), Is.EqualTo(valid));

    [Test]
    public void A_sweep_reaching_a_folder_another_sweep_is_still_preparing_waits_for_its_plan()
    {
        using var folder = new TempFolder();
        string sweep = folder.File("sweep");
        var plan = SweepPlan.Create(null, null, [], [], [1, 2], threads: 1);
        Directory.CreateDirectory(Path.Combine(sweep, "trials", "0000"));
        var other = FolderLock.Acquire(sweep, "--out");

        var second = Task.Run(() => SweepFolder.Prepare(sweep, plan));
        Thread.Sleep(300);
        Assert.That(second.IsCompleted, Is.False, "the second sweep waits for the lock instead of refusing the half-written folder");
        File.WriteAllText(Path.Combine(sweep, SweepFolder.PlanFile), plan.ToJson());
        other.Dispose();

        Assert.That(second.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(File.Exists(Path.Combine(sweep, "trials", "0001", "config.json")), Is.True);
    }
}
