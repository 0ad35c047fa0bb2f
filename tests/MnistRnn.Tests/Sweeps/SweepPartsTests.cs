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
            .And.Contain("#SBATCH --output=/shared/sweep/trials/%4a/slurm-%A_%a.out\n").And.Contain("#SBATCH --requeue\n")
            .And.Contain("#SBATCH --partition=gpu\n").And.Contain("#SBATCH --gres=gpu:1\n"));
        Assert.That(script, Does.Contain("'sweep' '--out' '/shared/sweep' '--data' '/shared/mnist' --trial \"$SLURM_ARRAY_TASK_ID\"\n"));
        Assert.That(SlurmJob.Script("/s", plan, [0], new SlurmJob.Request(null, null, "10", Gpu: false), "/d", "tuned"),
            Does.Contain("#SBATCH --array=0\n").And.Contain("#SBATCH --cpus-per-task=1\n").And.Not.Contain("--gres").And.Not.Contain("--partition"));
    }

    [TestCase("01:00:00", true)]
    [TestCase("90", true)]
    [TestCase("1-12:00:00", true)]
    [TestCase("1-12", true)]
    [TestCase("soon", false)]
    [TestCase("1:2:3:4", false)]
    public void Time_limits_are_what_sbatch_reads(string text, bool valid) => Assert.That(SlurmJob.IsTimeLimit(text), Is.EqualTo(valid));
}
