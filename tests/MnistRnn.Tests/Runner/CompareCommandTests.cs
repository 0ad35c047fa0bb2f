using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

[Category("RunnerInProcess")]
public sealed class CompareCommandTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [TestCase("transformer", "--runs: in 'transformer', 'transformer' is not a cell")]
    [TestCase("rnn:lr=fast", "--runs: in 'rnn:lr=fast', --lr: 'fast' is not a number")]
    [TestCase("rnn:momentum=0.9", "--runs: in 'rnn:momentum=0.9', 'momentum=0.9' sets no known key")]
    [TestCase("rnn:clip-norm=-1", "--clip-norm must be a positive number")]
    public void A_malformed_configuration_is_a_usage_error(string spec, string message)
    {
        var result = RunnerInProcess.Run("compare", "--runs", spec, "--out", Path.Combine(_folder.Path, "report"));

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Does.Contain(message).And.Not.Contain("\n"));
        Assert.That(Directory.Exists(Path.Combine(_folder.Path, "report")), Is.False, "nothing is created before the options are checked");
    }

    [Test]
    public void The_same_configuration_twice_is_a_usage_error()
    {
        var result = RunnerInProcess.Run("compare", "--runs", "lstm", "lstm");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain("'lstm' is given twice"));
    }

    [Test]
    public void A_report_folder_with_files_in_it_is_refused_and_left_alone()
    {
        string report = Path.Combine(_folder.Path, "report");
        Directory.CreateDirectory(report);
        File.WriteAllText(Path.Combine(report, "report.md"), "an earlier report");

        var result = RunnerInProcess.Run("compare", "--runs", "lstm", "--steps", "1", "--out", report);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain($"--out: folder {report} already holds files"));
        Assert.That(File.ReadAllText(Path.Combine(report, "report.md")), Is.EqualTo("an earlier report"));
    }

    private string SmallData() => IdxWriter.Folder(Path.Combine(_folder.Path, "data"), trainCount: 40, testCount: 20, side: 8);

    private DotnetProcess.Result Compare(string data, string report) =>
        RunnerInProcess.Run("compare", "--runs", "rnn", "lstm:lr=0.005", "--steps", "3", "--batch-size", "10", "--hidden", "8", "--data", data,
            "--device", "cpu", "--threads", "1", "--out", report);

    [Test]
    public void Each_run_is_a_trial_that_train_reproduces_from_its_config()
    {
        string data = SmallData(), report = Path.Combine(_folder.Path, "report");
        var compared = Compare(data, report);
        string trial = Path.Combine(report, "trials", "0001");
        var trained = RunnerInProcess.Run("--threads", "1", "train", "--config", Path.Combine(trial, "config.json"), "--data", data,
            "--out", Path.Combine(_folder.Path, "again"), "--metrics", Path.Combine(_folder.Path, "again-metrics"));

        Assert.That(compared.ExitCode, Is.EqualTo(0), compared.Error);
        Assert.That(trained.ExitCode, Is.EqualTo(0), trained.Error);
        Assert.That(File.ReadAllText(Path.Combine(report, "plan.json")), Does.Contain("\"configuration\": \"lstm:lr=0.005\""));
        Assert.That(Timeless(Path.Combine(_folder.Path, "again-metrics", "metrics.csv")), Is.EqualTo(Timeless(Path.Combine(trial, "metrics", "metrics.csv"))),
            "the same steps");
        Assert.That(File.ReadAllText(Path.Combine(_folder.Path, "again-metrics", "hidden-state.csv")),
            Is.EqualTo(File.ReadAllText(Path.Combine(trial, "metrics", "hidden-state.csv"))), "the same final hidden states");
    }

    // metrics.csv without its seventh column, the wall-clock time since training started.
    private static string[] Timeless(string csv) => [.. File.ReadAllLines(csv).Select(line => string.Join(',', line.Split(',').Where((_, i) => i != 6)))];

    [Test]
    public void The_same_command_again_reports_from_the_finished_trials_without_training_them_again()
    {
        string data = SmallData(), report = Path.Combine(_folder.Path, "report");
        Assert.That(Compare(data, report).ExitCode, Is.EqualTo(0));
        File.Delete(Path.Combine(report, "report.md"));

        var again = Compare(data, report);

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(again.Output, Does.Contain("trial 0 (rnn, seed 1, 1 thread): finished").And.Contain("(before)").And.Not.Contain("step 3,"));
        Assert.That(File.ReadAllText(Path.Combine(report, "report.md")), Does.Contain("| lstm:lr=0.005 | lstm |"));
    }

    [Test]
    public void A_run_left_unfinished_trains_again_from_its_start_when_the_same_command_continues()
    {
        string data = SmallData(), report = Path.Combine(_folder.Path, "report");
        Assert.That(Compare(data, report).ExitCode, Is.EqualTo(0));
        string trial = Path.Combine(report, "trials", "0001"), metrics = Path.Combine(trial, "metrics", "metrics.csv");
        string[] before = Timeless(metrics);
        // What an interruption after its checkpoint leaves: no summary or result, a checkpoint and the metrics so far.
        File.Delete(Path.Combine(trial, "summary.json"));
        File.Delete(Path.Combine(trial, "result.json"));
        File.WriteAllLines(metrics, File.ReadAllLines(metrics)[..2]);

        var again = Compare(data, report);

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(again.Output, Does.Contain("trial 0 (rnn, seed 1, 1 thread): finished").And.Contain("(before)")
            .And.Contain("step 3,").And.Contain("trial 1 (lstm:lr=0.005, seed 1, 1 thread): finished"));
        Assert.That(Timeless(metrics), Is.EqualTo(before), "every step again, as the first attempt trained them");
    }

    [Test]
    public void Another_comparison_into_the_same_folder_is_refused_naming_the_difference()
    {
        string data = SmallData(), report = Path.Combine(_folder.Path, "report");
        Assert.That(Compare(data, report).ExitCode, Is.EqualTo(0));

        var other = RunnerInProcess.Run("compare", "--runs", "gru", "--steps", "3", "--batch-size", "10", "--hidden", "8", "--data", data,
            "--device", "cpu", "--threads", "1", "--out", report);

        UserErrorAssert.OneSentence(other, 2, $"--out: {report} holds another sweep's plan (2 trials there, 1 here)");
    }

    [Test]
    public void Report_refuses_a_comparison_folder_and_leaves_its_report()
    {
        string data = SmallData(), report = Path.Combine(_folder.Path, "report");
        Assert.That(Compare(data, report).ExitCode, Is.EqualTo(0));
        string markdown = File.ReadAllText(Path.Combine(report, "report.md"));

        var result = RunnerInProcess.Run("report", report);

        UserErrorAssert.OneSentence(result, 2, $"report: {report} is a comparison's folder");
        Assert.That(File.ReadAllText(Path.Combine(report, "report.md")), Is.EqualTo(markdown));
    }

    [TestCase("metrics.jsonl", "{\"step\": \"one\"}\n")]
    [TestCase("metrics.jsonl", "")]
    [TestCase("metrics.jsonl", "{\"step\": 1, \"elapsed_seconds\": 1e300}\n")]
    [TestCase("gradient-flow.csv", "step,t1\n-1,0.5\n")]
    [TestCase("hidden-state.csv", "h1\nfew\n")]
    public void A_tampered_metrics_file_is_refused_in_one_sentence_naming_the_trial(string file, string text)
    {
        string data = SmallData(), report = Path.Combine(_folder.Path, "report");
        Assert.That(Compare(data, report).ExitCode, Is.EqualTo(0));
        File.WriteAllText(Path.Combine(report, "trials", "0000", "metrics", file), text);

        var again = Compare(data, report);

        UserErrorAssert.OneSentence(again, 3, "--out: cannot read run rnn's files back");
        Assert.That(again.Error, Does.Contain(Path.Combine(report, "trials", "0000")));
    }

    [Test]
    public void Train_refuses_a_metrics_folder_with_files_in_it_and_leaves_them()
    {
        string data = SmallData(), metrics = Path.Combine(_folder.Path, "metrics");
        Directory.CreateDirectory(metrics);
        File.WriteAllText(Path.Combine(metrics, "metrics.csv"), "an earlier run's");

        var result = RunnerInProcess.Run("train", "--data", data, "--steps", "1", "--batch-size", "10", "--hidden", "8", "--metrics", metrics,
            "--out", Path.Combine(_folder.Path, "run"));

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain($"--metrics: folder {metrics} already holds files"));
        Assert.That(File.ReadAllText(Path.Combine(metrics, "metrics.csv")), Is.EqualTo("an earlier run's"));
    }
}
