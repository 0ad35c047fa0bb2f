using System.Diagnostics;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Sweeps;

/// <summary>What only processes show: workers side by side, two sweeps on one folder, a sweep stopped by a signal and run again.</summary>
[Category("RunnerProcess")]
[Parallelizable(ParallelScope.Self)]
[TakesTurnsInThisProcess]
public sealed class SweepProcessTests
{
    private TempFolder _folder = null!;
    private string _data = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _data = IdxWriter.Folder(_folder.File("data"), trainCount: 200, testCount: 50);
    }

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private string Base(int steps)
    {
        string path = _folder.File($"base-{steps}.json");
        File.WriteAllText(path, $$"""{ "steps": {{steps}}, "batch-size": 20, "hidden": 16, "checkpoint-every": 25, "log-every": 1000 }""");
        return path;
    }

    [Test]
    public void Two_sweeps_on_one_folder_share_the_trials_and_never_run_the_same_one()
    {
        string sweep = _folder.File("sweep");
        string[] args = ["sweep", "--config", Base(40), "--runs", "lstm", "gru", "--seeds", "1-3", "--data", _data, "--out", sweep, "--parallel", "1"];

        using var first = RunnerProcess.Start(args);
        using var second = RunnerProcess.Start(args);
        var outputs = new[] { first, second }.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Error: p.StandardError.ReadToEndAsync())).ToArray();
        Assert.That(first.WaitForExit(TimeSpan.FromMinutes(4)) && second.WaitForExit(TimeSpan.FromMinutes(4)), Is.True);

        Assert.That(first.ExitCode, Is.EqualTo(0), outputs[0].Error.Result);
        Assert.That(second.ExitCode, Is.EqualTo(0), outputs[1].Error.Result);
        for (int trial = 0; trial < 6; trial++)
        {
            string folder = Path.Combine(sweep, "trials", $"{trial:D4}");
            string log = File.ReadAllText(Path.Combine(folder, "train.log"));
            Assert.That(log.Split('\n').Count(line => line.StartsWith("== ")), Is.EqualTo(1), $"trial {trial} was trained once:\n{log}");
            Assert.That(File.Exists(Path.Combine(folder, "summary.json")), Is.True);
        }
        string bothOutputs = outputs[0].Out.Result + outputs[1].Out.Result;
        Assert.That(Enumerable.Range(0, 6).Select(t => bothOutputs.Split('\n').Count(l => l.StartsWith($"trial {t} (") && l.Contains("finished, test accuracy") && !l.EndsWith("(before)"))),
            Is.All.EqualTo(1), bothOutputs);
    }

    [Test]
    public void Workers_side_by_side_give_the_accuracies_of_trials_run_one_at_a_time()
    {
        string config = Base(30);
        var alone = RunnerProcess.Run("sweep", "--config", config, "--runs", "lstm", "gru", "--seeds", "1-2", "--data", _data, "--out", _folder.File("alone"), "--parallel", "1");
        var sideBySide = RunnerProcess.Run("--threads", "1", "sweep", "--config", config, "--runs", "lstm", "gru", "--seeds", "1-2", "--data", _data, "--out", _folder.File("parallel"),
            "--parallel", "2");

        Assert.That(alone.ExitCode, Is.EqualTo(0), alone.Error);
        Assert.That(sideBySide.ExitCode, Is.EqualTo(0), sideBySide.Error);
        Assert.That(sideBySide.Output, Does.Contain("4 to run, 2 at a time."));
        Assert.That(SweepFolders.Accuracies(_folder.File("parallel")), Is.EqualTo(SweepFolders.Accuracies(_folder.File("alone"))));
    }

    [TestCase("1")]
    [TestCase("2")]
    [Platform("Linux,MacOsX")]
    public void A_sweep_stopped_by_sigterm_resumes_its_trials_to_the_uninterrupted_results(string parallel)
    {
        string config = Base(400);
        string[] plan = ["sweep", "--config", config, "--seeds", "1-2", "--data", _data, "--parallel", parallel];
        var uninterrupted = RunnerProcess.Run([.. plan, "--out", _folder.File("uninterrupted")]);
        Assert.That(uninterrupted.ExitCode, Is.EqualTo(0), uninterrupted.Error);

        string sweep = _folder.File("sweep");
        using var process = RunnerProcess.Start([.. plan, "--out", sweep]);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        string firstCheckpoints = Path.Combine(sweep, "trials", "0000", "checkpoints");
        var clock = Stopwatch.StartNew();
        while (!(Directory.Exists(firstCheckpoints) && Directory.EnumerateFiles(firstCheckpoints, "*.ckpt").Any()) && clock.Elapsed < TimeSpan.FromMinutes(2))
            Thread.Sleep(50);
        Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(2)), Is.True);

        Assert.That(process.ExitCode, Is.EqualTo(130), output.Result + error.Result);
        Assert.That(error.Result, Does.Contain("Run the same command again to continue the sweep"));
        Assert.That(File.Exists(Path.Combine(sweep, "trials", "0000", "summary.json")), Is.False, "stopped before trial 0 finished");
        var again = RunnerProcess.Run([.. plan, "--out", sweep]);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(File.ReadAllText(Path.Combine(sweep, "trials", "0000", "train.log")), Does.Contain("resuming trial 0"));
        Assert.That(SweepFolders.Accuracies(sweep), Is.EqualTo(SweepFolders.Accuracies(_folder.File("uninterrupted"))));
    }
}
