using System.Text.Json;
using MnistRnn.Checkpoints;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Hostile;

/// <summary>Runs that meet in one folder: started together, or resumed from an older checkpoint than the folder holds.</summary>
[Category("Hostile")]
public sealed class SharedFolderTests
{
    private TempFolder _folder = null!;
    private string _data = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20, side: 8);
    }

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [Test]
    public void A_second_run_on_a_folder_in_use_is_refused_and_the_first_is_untouched()
    {
        string shared = _folder.File("shared");
        using var first = RunnerProcess.Start("train", "--data", _data, "--steps", "1000000", "--batch-size", "10", "--log-every", "10",
            "--device", "cpu", "--threads", "1", "--out", shared);
        var firstError = first.StandardError.ReadToEndAsync();
        try
        {
            Assert.That(first.StandardOutput.ReadLine(), Does.StartWith("step 10, "), "the first run is training");

            var second = RunnerProcess.Run("train", "--data", _data, "--steps", "5", "--batch-size", "10", "--device", "cpu", "--out", shared);

            UserErrorAssert.OneSentence(second, 2, $"--out: another mnist-rnn run is using folder {shared}; wait for it to end or give another folder.");
        }
        finally
        {
            first.Kill();
            first.WaitForExit();
        }
        Assert.That(firstError.Result, Is.Empty);
    }

    [Test]
    public void Of_two_runs_started_together_on_one_folder_exactly_one_trains_and_its_checkpoint_is_its_own()
    {
        string shared = _folder.File("shared");
        var runs = Enumerable.Range(1, 2).Select(i => RunnerProcess.Start("train", "--data", _data, "--steps", "20", "--batch-size", "10",
            "--device", "cpu", "--seed", $"{i}", "--out", shared, "--summary", _folder.File($"summary-{i}.json"))).ToList();
        var errors = runs.Select(r => r.StandardError.ReadToEndAsync()).ToList();
        foreach (var run in runs)
        {
            run.StandardOutput.ReadToEnd();
            run.WaitForExit();
        }

        var exitCodes = runs.Select(r => r.ExitCode).ToList();
        Assert.That(exitCodes.Order(), Is.EqualTo(new[] { 0, 2 }), string.Join("\n", errors.Select(e => e.Result)));
        int winner = exitCodes.IndexOf(0) + 1;
        Assert.That(errors[2 - winner].Result, Does.Contain($"--out: ").And.Contain(shared));
        using var summary = JsonDocument.Parse(File.ReadAllText(_folder.File($"summary-{winner}.json")));
        var checkpoint = CheckpointFile.Read(summary.RootElement.GetProperty("checkpoint").GetString()!);
        Assert.That(checkpoint.Info.Options.Seed, Is.EqualTo(winner), "the checkpoint holds the winner's run");
        Assert.That(File.Exists(_folder.File($"summary-{3 - winner}.json")), Is.False);
        foreach (var run in runs) run.Dispose();
    }

    [Test]
    public void Resuming_an_older_checkpoint_never_overwrites_newer_ones_and_can_branch_into_a_new_folder()
    {
        string run = _folder.File("run");
        var trained = RunnerProcess.Run("train", "--data", _data, "--steps", "40", "--batch-size", "10", "--checkpoint-every", "10", "--keep", "10",
            "--device", "cpu", "--out", run);
        Assert.That(trained.ExitCode, Is.EqualTo(0), trained.Error);
        var before = CheckpointStore.List(run).ToDictionary(f => f, File.ReadAllBytes);
        string older = Path.Combine(run, CheckpointStore.FileName(20));

        var inPlace = RunnerProcess.Run("train", "--resume", older, "--steps", "45", "--data", _data, "--device", "cpu");

        UserErrorAssert.OneSentence(inPlace, 2, $"--resume: {run} already holds checkpoint-step-0000040.ckpt, newer than step 20");
        Assert.That(CheckpointStore.List(run).ToDictionary(f => f, File.ReadAllBytes), Is.EqualTo(before), "every checkpoint is as it was");

        string branch = _folder.File("branch");
        var branched = RunnerProcess.Run("train", "--resume", older, "--steps", "45", "--data", _data, "--device", "cpu", "--out", branch);

        Assert.That(branched.ExitCode, Is.EqualTo(0), branched.Error);
        Assert.That(CheckpointFile.Read(CheckpointStore.List(branch)[0]).Info.Step, Is.EqualTo(45));
        Assert.That(CheckpointStore.List(run).ToDictionary(f => f, File.ReadAllBytes), Is.EqualTo(before));
    }
}
