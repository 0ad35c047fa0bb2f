using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Sweeps;

/// <summary>
/// Sweep and report folders that a crash, a hand or a hostile user left in a state a sweep did not write: each is refused in
/// one sentence naming the file and with a non-zero exit, or recovered, and nothing is written where it should not be.
/// </summary>
/// <remarks>A part of <see cref="SweepCommandTests"/>, whose folder, data and base config it shares.</remarks>
public sealed partial class SweepCommandTests
{
    private string Trial(string sweep, int number, string file = "") => Path.Combine(sweep, "trials", number.ToString("D4"), file);

    [Test]
    public void A_plan_whose_trial_count_passes_2_to_the_63_is_refused_not_wrapped()
    {
        string values = string.Join(',', Enumerable.Range(1, 65536));
        var result = RunnerInProcess.Run(["sweep", "--data", _data, "--out", _folder.File("huge"), "--seeds", "1",
            "--vary", $"lr={values}", "--vary", $"hidden={values}", "--vary", $"layers={values}", "--vary", $"batch-size={values}"]);

        UserErrorAssert.OneSentence(result, 2, "The plan would have more than 2^63 trials, more than a sweep may hold (100,000)");
        Assert.That(Directory.Exists(_folder.File("huge")), Is.False);
    }

    [TestCase(new[] { "--vary", "lr=0.01,0.010" }, "trials 0 (lr=0.01) and 1 (lr=0.010) are the same run with the same seed")]
    [TestCase(new[] { "--runs", "lstm", "LSTM" }, "trials 0 (lstm) and 1 (LSTM) are the same run with the same seed")]
    public void One_run_written_two_ways_is_refused_as_a_duplicate(string[] args, string message)
    {
        UserErrorAssert.OneSentence(Sweep(_folder.File("sweep"), [.. args, "--seeds", "1"]), 2, message);
        Assert.That(Directory.Exists(_folder.File("sweep")), Is.False);
    }

    [Test]
    public void Report_refuses_an_unknown_pooled_axis_and_a_file_for_a_folder()
    {
        string sweep = _folder.File("sweep");
        Assert.That(Sweep(sweep, "--vary", "hidden=4,8", "--seeds", "1").ExitCode, Is.EqualTo(0));

        UserErrorAssert.OneSentence(RunnerInProcess.Run("report", sweep, "--pool", "treads"), 2, "--pool treads: the sweep has no such axis; its axes are hidden.");
        UserErrorAssert.OneSentence(RunnerInProcess.Run("report", Path.Combine(sweep, "plan.json")), 2, $"report: {Path.Combine(sweep, "plan.json")} is a file;");
    }

    // A summary train wrote, with one figure crafted; or a file that is no summary at all.
    [TestCase("test_accuracy", "7", "a test accuracy of 7")]
    [TestCase("test_accuracy", "-3", "a test accuracy of -3")]
    [TestCase("samples_per_second", "1e309", "Infinity samples/s")]
    [TestCase("threads", "-5", "-5 threads")]
    [TestCase("test_accuracy", "1e308", "a test accuracy of 1E+308")]
    [TestCase("test_loss", "-1", "a test loss of -1")]
    [TestCase("test_accuracy", "null", "a test accuracy of NaN")]
    [TestCase("precision", "", "it is not a run summary's JSON")]
    [TestCase(null, "not json", "it is not a run summary's JSON")]
    public void A_crafted_summary_is_refused_by_report_and_never_becomes_a_baseline(string? key, string value, string problem)
    {
        string sweep = _folder.File("sweep");
        Assert.That(Sweep(sweep, "--seeds", "1").ExitCode, Is.EqualTo(0));
        string path = Trial(sweep, 0, "summary.json");
        // An empty value puts a field train does not write in place of the key's, so the key is missing.
        File.WriteAllText(path, key is null ? value
            : Regex.Replace(File.ReadAllText(path), $"\"{key}\": [^,\n]+", value.Length == 0 ? "\"removed\": 0" : $"\"{key}\": {value}"));

        var report = RunnerInProcess.Run("report", sweep, "--baseline", _folder.File("baselines"));

        UserErrorAssert.OneSentence(report, 3, $"{Trial(sweep, 0, "summary.json")} is not a summary train writes ({problem})");
        Assert.That(Directory.Exists(_folder.File("baselines")) && Directory.EnumerateFiles(_folder.File("baselines")).Any(), Is.False);
    }

    [Test]
    public void A_trial_folder_that_is_a_symbolic_link_is_refused()
    {
        string sweep = _folder.File("sweep");
        Assert.That(Sweep(sweep, "--seeds", "1-2").ExitCode, Is.EqualTo(0));
        Directory.Delete(Trial(sweep, 1), recursive: true);
        Directory.CreateSymbolicLink(Trial(sweep, 1).TrimEnd('/'), Trial(sweep, 0).TrimEnd('/'));

        var again = Sweep(sweep, "--seeds", "1-2");
        var report = RunnerInProcess.Run("report", sweep);

        UserErrorAssert.OneSentence(again, 3, $"--out: {Trial(sweep, 1).TrimEnd('/')} is a symbolic link");
        UserErrorAssert.OneSentence(report, 3, $"--out: {Trial(sweep, 1).TrimEnd('/')} is a symbolic link");
    }

    [Test]
    public void A_refused_sweep_on_a_linked_folder_leaves_no_lock_where_the_link_points()
    {
        string target = _folder.File("elsewhere");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "notes.txt"), "not a sweep");
        string link = _folder.File("link");
        Directory.CreateSymbolicLink(link, target);

        var refused = Sweep(link, "--seeds", "1");

        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.Error);
        Assert.That(Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName), Is.EqualTo(new[] { "notes.txt" }));
    }

    [Test]
    public void A_finished_trial_whose_result_was_lost_is_recovered_from_its_summary_without_training_again()
    {
        string sweep = _folder.File("sweep");
        Assert.That(Sweep(sweep, "--seeds", "1").ExitCode, Is.EqualTo(0));
        string log = File.ReadAllText(Trial(sweep, 0, "train.log"));
        File.Delete(Trial(sweep, 0, "result.json"));

        var again = Sweep(sweep, "--seeds", "1");

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(again.Output, Does.Contain("finished, test accuracy"));
        Assert.That(File.ReadAllText(Trial(sweep, 0, "train.log")), Is.EqualTo(log), "not trained again");
        Assert.That(File.ReadAllText(Trial(sweep, 0, "result.json")), Does.Contain("recovered from its summary"));
    }

    [Test]
    public void A_trial_that_crashed_after_its_last_checkpoint_trains_again_and_keeps_the_old_checkpoints()
    {
        string sweep = _folder.File("sweep");
        Assert.That(Sweep(sweep, "--seeds", "1").ExitCode, Is.EqualTo(0));
        string accuracy = JsonNode.Parse(File.ReadAllText(Trial(sweep, 0, "summary.json")))!["test_accuracy"]!.ToJsonString();
        File.Delete(Trial(sweep, 0, "result.json"));
        File.Delete(Trial(sweep, 0, "summary.json"));

        var again = Sweep(sweep, "--seeds", "1");

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(JsonNode.Parse(File.ReadAllText(Trial(sweep, 0, "summary.json")))!["test_accuracy"]!.ToJsonString(), Is.EqualTo(accuracy));
        Assert.That(Directory.GetDirectories(Trial(sweep, 0)).Select(Path.GetFileName), Has.One.StartsWith("checkpoints.unfinished-"));
    }

    [Test]
    public void A_trial_whose_config_no_longer_matches_the_plan_is_refused_naming_the_setting()
    {
        string sweep = _folder.File("sweep");
        Assert.That(Sweep(sweep, "--seeds", "1", "--print-plan").ExitCode, Is.EqualTo(0));
        Assert.That(Sweep(sweep, "--seeds", "1", "--on", "none").ExitCode, Is.EqualTo(0));
        var config = JsonNode.Parse(File.ReadAllText(Trial(sweep, 0, "config.json")))!;
        config["lr"] = 0.5;
        File.WriteAllText(Trial(sweep, 0, "config.json"), config.ToJsonString());

        var again = Sweep(sweep, "--seeds", "1");

        Assert.That(again.ExitCode, Is.EqualTo(9), again.Error);
        Assert.That(again.Output, Does.Contain($"{Trial(sweep, 0, "config.json")} no longer matches the plan (lr is 0.5 there and 0.01 in the plan)"));
        Assert.That(File.Exists(Trial(sweep, 0, "summary.json")), Is.False, "nothing trained under the plan's row");
    }

    [TestCase("train.log", TestName = "A trial whose log is a folder fails the sweep naming the trial")]
    [TestCase(".lock", TestName = "A trial whose lock is a folder fails the sweep naming the trial")]
    public void A_trial_that_cannot_run_fails_the_sweep_naming_it(string blocked)
    {
        string sweep = _folder.File("sweep");
        Assert.That(Sweep(sweep, "--seeds", "1-2", "--on", "none").ExitCode, Is.EqualTo(0));
        Directory.CreateDirectory(Trial(sweep, 1, blocked));

        var run = Sweep(sweep, "--seeds", "1-2");

        Assert.That(run.ExitCode, Is.EqualTo(9), run.Output + run.Error);
        Assert.That(run.Error, Does.Contain("1 trial did not finish (1)"));
    }
}
