using System.Diagnostics;
using System.Text.RegularExpressions;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Sweeps;

/// <summary>
/// <c>sweep --on slurm</c> against a real one-node Slurm cluster started for these tests: the job array runs every trial to
/// the results a local sweep gives, and a task requeued mid-run resumes its trial to the uninterrupted result.
/// </summary>
[Category("Slurm")]
[NonParallelizable]
public sealed class SlurmSweepTests
{
    private SlurmCluster? _cluster;
    private string _whyNot = "";
    private TempFolder _folder = null!;

    [OneTimeSetUp]
    public void StartCluster() => _cluster = SlurmCluster.TryStart(out _whyNot);

    [OneTimeTearDown]
    public void StopCluster() => _cluster?.Dispose();

    [SetUp]
    public void SetUp()
    {
        if (_cluster is null) Assert.Inconclusive($"No Slurm cluster here: {_whyNot}.");
        _folder = new TempFolder();
    }

    [TearDown]
    public void TearDown() => _folder?.Dispose();

    private string Base(string json)
    {
        string path = _folder.File("base.json");
        File.WriteAllText(path, json);
        return path;
    }

    private (string Job, DotnetProcess.Result Result) Submit(params string[] args)
    {
        var result = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(2), _cluster!.Environment,
            [Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), "sweep", .. args, "--data", RepositoryPaths.Mnist, "--on", "slurm"]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Output + result.Error);
        var job = Regex.Match(result.Output, @"Submitted job array (\d+): ");
        Assert.That(job.Success, Is.True, result.Output);
        return (job.Groups[1].Value, result);
    }

    [Test]
    public void A_sweep_of_four_trials_runs_as_a_job_array_with_the_results_of_a_local_sweep()
    {
        string config = Base("""{ "steps": 30, "hidden": 32 }""");
        string[] plan = ["--config", config, "--runs", "lstm", "gru", "--seeds", "1-2"];
        string onSlurm = _folder.File("slurm");

        var (job, _) = Submit([.. plan, "--out", onSlurm, "--parallel", "2"]);
        _cluster!.WaitFor(job, TimeSpan.FromMinutes(5));
        var local = RunnerInProcess.Run(["sweep", .. plan, "--out", _folder.File("local"), "--data", RepositoryPaths.Mnist, "--parallel", "1"]);
        var report = RunnerInProcess.Run("report", onSlurm);

        string script = File.ReadAllText(Path.Combine(onSlurm, "sweep.sbatch"));
        Assert.That(script, Does.Contain("#SBATCH --array=0-3%2\n").And.Contain("#SBATCH --cpus-per-task=1\n"));
        for (int trial = 0; trial < 4; trial++)
            Assert.That(Directory.GetFiles(Path.Combine(onSlurm, "trials", $"{trial:D4}"), $"slurm-{job}_{trial}.out"), Has.Length.EqualTo(1), $"trial {trial}'s Slurm output");
        Assert.That(local.ExitCode, Is.EqualTo(0), local.Error);
        Assert.That(report.ExitCode, Is.EqualTo(0), report.Error + _cluster.Log);
        Assert.That(report.Output.Split('\n')[1], Does.StartWith("lstm").And.Contain(" 2/2 "));
        Assert.That(report.Output.Split('\n')[2], Does.StartWith("gru").And.Contain(" 2/2 "));
        Assert.That(SweepFolders.Accuracies(onSlurm), Is.EqualTo(SweepFolders.Accuracies(_folder.File("local"))));
        var again = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(2), _cluster.Environment,
            [Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), "sweep", .. plan, "--out", onSlurm, "--data", RepositoryPaths.Mnist, "--on", "slurm"]);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(again.Output, Does.StartWith($"Every trial of {onSlurm} has finished; nothing to submit."), "submitting again submits only trials without a result");
    }

    [Test]
    public void A_requeued_task_resumes_its_trial_from_its_checkpoint_to_the_uninterrupted_result()
    {
        string config = Base("""{ "steps": 3000, "hidden": 32, "checkpoint-every": 100, "log-every": 1000 }""");
        string onSlurm = _folder.File("slurm");
        var (job, _) = Submit("--config", config, "--seeds", "1", "--out", onSlurm);
        string checkpoints = Path.Combine(onSlurm, "trials", "0000", "checkpoints");
        var clock = Stopwatch.StartNew();
        while (!(Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "*.ckpt").Any()))
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMinutes(3)), "the task wrote no checkpoint");
            Thread.Sleep(100);
        }

        var requeue = _cluster!.Slurm("scontrol", "requeue", $"{job}_0");
        Assert.That(requeue.ExitCode, Is.EqualTo(0), requeue.Error);
        // Slurm holds a requeued task for a while before it may start again; the test asks it to start now.
        while (_cluster.Slurm("squeue", "-h", "-j", job, "-o", "%T").Output.Trim() is "COMPLETING" or "RUNNING" && clock.Elapsed < TimeSpan.FromMinutes(4))
            Thread.Sleep(100);
        _cluster.Slurm("scontrol", "update", $"jobid={job}_0", "StartTime=now");
        _cluster.WaitFor(job, TimeSpan.FromMinutes(6));
        var uninterrupted = RunnerInProcess.Run("sweep", "--config", config, "--seeds", "1", "--out", _folder.File("local"), "--data", RepositoryPaths.Mnist, "--parallel", "1");

        string log = File.ReadAllText(Path.Combine(onSlurm, "trials", "0000", "train.log"));
        Assert.That(log, Does.Contain("resuming trial 0"), "the requeued task resumed");
        Assert.That(uninterrupted.ExitCode, Is.EqualTo(0), uninterrupted.Error);
        Assert.That(SweepFolders.Accuracies(onSlurm), Is.EqualTo(SweepFolders.Accuracies(_folder.File("local"))));
    }
}
