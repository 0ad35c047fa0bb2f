using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Sweeps;

/// <summary>
/// <c>mnist-rnn sweep</c> and <c>report</c> called in this process, on tiny synthetic MNIST files, one trial at a time. Each
/// trial still runs in a runner process of its own, as every local sweep's does, so the class is of that level.
/// </summary>
[Category("RunnerProcess")]
[Parallelizable(ParallelScope.Self)]
[TakesTurnsInThisProcess]
public sealed partial class SweepCommandTests
{
    private TempFolder _folder = null!;
    private string _data = null!;
    private string _base = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20);
        _base = _folder.File("base.json");
        File.WriteAllText(_base, """{ "steps": 6, "batch-size": 10, "hidden": 8, "checkpoint-every": 2 }""");
    }

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private DotnetProcess.Result Sweep(string output, params string[] args) =>
        RunnerInProcess.Run(["sweep", "--config", _base, "--data", _data, "--out", output, "--parallel", "1", .. args]);

    [Test]
    public void The_plan_numbers_configurations_times_seeds_the_same_way_every_time_and_creates_nothing()
    {
        string[] args = ["sweep", "--runs", "lstm", "gru:lr=0.005", "--vary", "hidden=16,32", "--seeds", "1-2", "--out", _folder.File("sweep"), "--print-plan"];

        var first = RunnerInProcess.Run(args);
        var second = RunnerInProcess.Run(args);

        Assert.That(first.ExitCode, Is.EqualTo(0), first.Error);
        Assert.That(second.Output, Is.EqualTo(first.Output));
        var rows = first.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).SkipLast(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.That(rows.Select(r => (r[0], r[1], r[2], r[3])), Is.EqualTo(new[]
        {
            ("0", "lstm", "hidden=16", "1"), ("1", "lstm", "hidden=16", "2"), ("2", "lstm", "hidden=32", "1"), ("3", "lstm", "hidden=32", "2"),
            ("4", "gru:lr=0.005", "hidden=16", "1"), ("5", "gru:lr=0.005", "hidden=16", "2"), ("6", "gru:lr=0.005", "hidden=32", "1"), ("7", "gru:lr=0.005", "hidden=32", "2"),
        }));
        Assert.That(first.Output, Does.EndWith("8 trials: 4 configurations x 2 seeds.\n"));
        Assert.That(Directory.Exists(_folder.File("sweep")), Is.False);
    }

    [TestCase(new[] { "--vary", "momentum=0.9" }, "--vary momentum=0.9: 'momentum' is not a setting train takes")]
    [TestCase(new[] { "--vary", "lr=0.01,fast" }, "--vary lr=fast: --lr: 'fast' is not a number")]
    [TestCase(new[] { "--vary", "model=lstm,transformer" }, "--vary model=transformer: ")]
    [TestCase(new[] { "--vary", "lr=-1" }, "trial 0 (lr=-1, seed 1): --lr must be a positive number")]
    [TestCase(new[] { "--vary", "lr=" }, "--vary lr=: the axis has an empty value")]
    [TestCase(new[] { "--vary", "lr=0.01,,0.02" }, "--vary lr=0.01,,0.02: the axis has an empty value")]
    [TestCase(new[] { "--vary", "hidden" }, "--vary hidden: write KEY=V1,V2,...")]
    [TestCase(new[] { "--vary", "seed=1,2" }, "--vary seed=1,2: seeds are set with --seeds")]
    [TestCase(new[] { "--vary", "lr=0.1", "--vary", "lr=0.2" }, "--vary lr is given twice")]
    [TestCase(new[] { "--vary", "threads=0" }, "--vary threads=0: a trial's threads must be a whole number")]
    [TestCase(new[] { "--seeds", "5-1" }, "--seeds 5-1: the range 5-1 runs backwards")]
    [TestCase(new[] { "--seeds", "1,x" }, "--seeds 1,x: 'x' is not a seed or a range")]
    [TestCase(new[] { "--seeds", "1,1" }, "--seeds 1,1: seed 1 is given twice")]
    [TestCase(new[] { "--seeds", "1-101" }, "The plan has 101 trials, more than 100; check it with --print-plan, then run it with --yes.")]
    [TestCase(new[] { "--runs", "lstm", "lstm" }, "--runs: 'lstm' is given twice")]
    [TestCase(new[] { "--time-limit", "soon" }, "--time-limit soon: give a time sbatch reads")]
    [TestCase(new[] { "--on", "slurm", "--partition", "gpu\n#SBATCH --wrap=x" }, "--partition: 'gpu?#SBATCH --wrap=x' holds a control character")]
    [TestCase(new[] { "--on", "slurm", "--partition", "gpu;rm" }, "--partition: 'gpu;rm' is not a partition name")]
    public void Bad_input_is_one_sentence_and_exit_2_before_anything_is_written(string[] args, string message)
    {
        var result = RunnerInProcess.Run(["sweep", "--data", _data, "--out", _folder.File("sweep"), .. args]);

        UserErrorAssert.OneSentence(result, 2, message);
        Assert.That(Directory.Exists(_folder.File("sweep")), Is.False);
    }

    [Test]
    public void A_sweep_trains_every_trial_into_its_folder_reports_and_a_second_run_trains_nothing()
    {
        string sweep = _folder.File("sweep");

        var first = Sweep(sweep, "--runs", "lstm", "gru", "--seeds", "1-2");
        var second = Sweep(sweep, "--runs", "lstm", "gru", "--seeds", "1-2");

        Assert.That(first.ExitCode, Is.EqualTo(0), first.Error);
        Assert.That(first.Output, Does.Contain("4 trials, 0 finished before, 4 to run, 1 at a time."));
        foreach (string trial in new[] { "0000", "0001", "0002", "0003" })
        {
            string folder = Path.Combine(sweep, "trials", trial);
            foreach (string file in new[] { "config.json", "train.log", "summary.json", "result.json" })
                Assert.That(File.Exists(Path.Combine(folder, file)), Is.True, $"{trial}/{file}");
            Assert.That(MnistRnn.Checkpoints.CheckpointStore.List(Path.Combine(folder, "checkpoints")), Is.Not.Empty, trial);
        }
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep, "trials", "0002", "summary.json"))))
        {
            Assert.That(summary.RootElement.GetProperty("model").GetString(), Is.EqualTo("gru"));
            Assert.That(summary.RootElement.GetProperty("seed").GetInt64(), Is.EqualTo(1));
            Assert.That(summary.RootElement.GetProperty("threads").GetInt32(), Is.EqualTo(1), "the plan's threads, recorded");
            Assert.That(summary.RootElement.GetProperty("threads_chosen_by").GetString(), Is.EqualTo("--threads"));
        }
        foreach (string file in new[] { "report.md", "report.json", "spread.png" }) Assert.That(File.Exists(Path.Combine(sweep, file)), Is.True, file);
        Assert.That(second.ExitCode, Is.EqualTo(0), second.Error);
        Assert.That(second.Output, Does.Contain("4 trials, 4 finished before, 0 to run."));
        Assert.That(File.ReadAllText(Path.Combine(sweep, "trials", "0000", "train.log")).Split('\n').Count(l => l.StartsWith("== ")), Is.EqualTo(1),
            "the finished trial was not trained again");
    }

    [Test]
    public void A_trial_gives_what_train_gives_with_its_config_and_threads()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--runs", "gru", "--seeds", "3");

        // In a process of its own, as the trial ran: libtorch's thread count is per thread once set, so this process's may differ.
        var direct = RunnerProcess.Run("--threads", "1", "train", "--config", Path.Combine(sweep, "trials", "0000", "config.json"),
            "--data", _data, "--out", _folder.File("direct"), "--summary", _folder.File("direct.json"));

        Assert.That(direct.ExitCode, Is.EqualTo(0), direct.Error);
        Assert.That(TestAccuracy(Path.Combine(sweep, "trials", "0000", "summary.json")), Is.EqualTo(TestAccuracy(_folder.File("direct.json"))));
        Assert.That(File.ReadAllText(Path.Combine(sweep, "trials", "0000", "train.log")), Does.Contain(direct.Output));
    }

    [Test]
    public void On_none_writes_the_plan_and_each_trial_then_runs_alone_by_its_number()
    {
        string sweep = _folder.File("sweep");

        var planned = Sweep(sweep, "--runs", "lstm", "gru", "--seeds", "1", "--on", "none");
        var second = RunnerInProcess.Run("sweep", "--out", sweep, "--trial", "1", "--data", _data);

        Assert.That(planned.ExitCode, Is.EqualTo(0), planned.Error);
        Assert.That(planned.Output, Does.Contain("2 trials, 2 to run; run each with mnist-rnn sweep --out"));
        Assert.That(File.Exists(Path.Combine(sweep, "trials", "0000", "config.json")), Is.True);
        Assert.That(second.ExitCode, Is.EqualTo(0), second.Error);
        Assert.That(second.Output, Does.StartWith("trial 1 (gru, seed 1, 1 thread): finished, test accuracy "));
        Assert.That(File.Exists(Path.Combine(sweep, "trials", "0000", "result.json")), Is.False, "trial 0 was not run");
        Assert.That(RunnerInProcess.Run("report", sweep).Output, Does.Contain("1 trial without a result yet: 0"));
    }

    [Test]
    public void A_changed_plan_in_an_existing_sweep_folder_is_refused_in_one_sentence()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--runs", "lstm", "--seeds", "1");
        string plan = File.ReadAllText(Path.Combine(sweep, "plan.json"));

        var more = Sweep(sweep, "--runs", "lstm", "--seeds", "1-2");
        var other = Sweep(sweep, "--runs", "lstm:lr=0.005", "--seeds", "1");

        UserErrorAssert.OneSentence(more, 2, $"--out: {sweep} holds another sweep's plan (1 trials there, 2 here)");
        UserErrorAssert.OneSentence(other, 2, "(trial 0 is lstm seed 1 there, lstm:lr=0.005 seed 1 here)");
        Assert.That(File.ReadAllText(Path.Combine(sweep, "plan.json")), Is.EqualTo(plan));
    }

    [Test]
    public void A_folder_given_alone_continues_its_sweep_and_a_folder_of_other_files_is_refused()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--runs", "lstm", "--seeds", "1");
        Directory.CreateDirectory(_folder.File("other"));
        File.WriteAllText(_folder.File("other/notes.txt"), "mine");

        var again = RunnerInProcess.Run("sweep", "--out", sweep, "--data", _data);
        var other = Sweep(_folder.File("other"), "--seeds", "1");

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(again.Output, Does.Contain("1 trials, 1 finished before, 0 to run."));
        UserErrorAssert.OneSentence(other, 2, "already holds files but no sweep plan");
        Assert.That(File.ReadAllText(_folder.File("other/notes.txt")), Is.EqualTo("mine"));
    }

    [Test]
    public void A_trial_folder_that_was_removed_is_made_again_from_the_plan()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--seeds", "1-2");
        Directory.Delete(Path.Combine(sweep, "trials", "0001"), recursive: true);

        var again = Sweep(sweep, "--seeds", "1-2");

        Assert.That(again.ExitCode, Is.EqualTo(0), again.Error);
        Assert.That(again.Output, Does.Contain("2 trials, 1 finished before, 1 to run"));
        Assert.That(File.Exists(Path.Combine(sweep, "trials", "0001", "summary.json")), Is.True);
    }

    [Test]
    public void A_failed_trial_is_recorded_named_and_retried_by_the_next_run()
    {
        string sweep = _folder.File("sweep");
        // The data folder lacks a file when the trials run: each fails as train would, in its own sentence.
        string data = IdxWriter.Folder(_folder.File("broken"), trainCount: 40, testCount: 20);
        File.Delete(Path.Combine(data, "t10k-labels-idx1-ubyte"));

        var failed = RunnerInProcess.Run("sweep", "--config", _base, "--data", data, "--out", sweep, "--parallel", "1", "--seeds", "1-2");

        Assert.That(failed.ExitCode, Is.EqualTo(9), failed.Error);
        Assert.That(failed.Error.Trim(), Does.StartWith("2 trials did not finish (0, 1); the lines above and each one's train.log say why"));
        using (var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep, "trials", "0000", "result.json"))))
        {
            Assert.That(result.RootElement.GetProperty("status").GetString(), Is.EqualTo("failed"));
            Assert.That(result.RootElement.GetProperty("message").GetString(), Does.Contain("t10k-labels"));
        }
        var retried = Sweep(sweep, "--seeds", "1-2");
        Assert.That(retried.ExitCode, Is.EqualTo(0), retried.Error);
        Assert.That(retried.Output, Does.Contain("2 trials, 0 finished before, 2 to run"));
    }

    [Test]
    public void Report_names_missing_trials_and_pools_an_axis_on_request()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--vary", "hidden=4,8", "--seeds", "1-3");
        File.Delete(Path.Combine(sweep, "trials", "0004", "result.json"));

        var report = RunnerInProcess.Run("report", sweep);
        var pooled = RunnerInProcess.Run("report", sweep, "--pool", "hidden");

        Assert.That(report.ExitCode, Is.EqualTo(0), report.Error);
        string[] lines = report.Output.Split('\n');
        Assert.That(lines[1], Does.StartWith("hidden=4").And.Contain(" 3/3 "));
        Assert.That(lines[2], Does.StartWith("hidden=8").And.Contain(" 2/3 "));
        Assert.That(report.Output, Does.Contain("1 trial without a result yet: 4"));
        Assert.That(pooled.Output.Split('\n')[1], Does.StartWith("all").And.Contain(" 5/6 "));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep, "report.json")));
        var row = json.RootElement.GetProperty("configurations")[0];
        Assert.That(row.GetProperty("finished").GetInt32(), Is.EqualTo(5));
        var accuracies = row.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("test_accuracy").GetDouble()).Order().ToArray();
        Assert.That(row.GetProperty("test_accuracy").GetProperty("median").GetDouble(), Is.EqualTo(accuracies[2]));
        Assert.That(row.GetProperty("test_accuracy").GetProperty("min").GetDouble(), Is.EqualTo(accuracies[0]));
        Assert.That(row.GetProperty("test_accuracy").GetProperty("max").GetDouble(), Is.EqualTo(accuracies[4]));
    }

    [Test]
    public void Report_writes_each_configurations_accuracies_as_a_baseline_a_regression_test_reads()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--runs", "lstm", "gru:lr=0.005", "--seeds", "1-2");
        string baselines = _folder.File("baselines");

        var report = RunnerInProcess.Run("report", sweep, "--baseline", baselines);

        Assert.That(report.ExitCode, Is.EqualTo(0), report.Error);
        Assert.That(Directory.GetFiles(baselines).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "gru-lr-0.005.baseline.json", "lstm.baseline.json" }));
        var gru = MnistRnn.Studies.BaselineFile.Read(Path.Combine(baselines, "gru-lr-0.005.baseline.json"));
        Assert.That(gru.Scores.Select(s => s.Seed), Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(gru.Scores.Select(s => s.Value), Is.EqualTo(new[] { TestAccuracy(Path.Combine(sweep, "trials", "0002", "summary.json")), TestAccuracy(Path.Combine(sweep, "trials", "0003", "summary.json")) }));
        Assert.That((gru.Threads, gru.Machine), Is.EqualTo((1, MnistRnn.Studies.SeedStudy.ThisMachine)));
        Assert.That(MnistRnn.Studies.Baseline.Check(gru, Path.Combine(baselines, "gru-lr-0.005.baseline.json"), accept: false).Outcome,
            Is.EqualTo(MnistRnn.Studies.BaselineOutcome.Matched));
    }

    [Test]
    public void A_baseline_of_pooled_thread_counts_is_refused()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--vary", "threads=1,2", "--seeds", "1");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("report", sweep, "--pool", "threads", "--baseline", _folder.File("b")), 2,
            "--baseline: all has trials at 1 and 2 threads; a baseline holds one thread count");
    }

    [Test]
    public void Report_shows_the_best_validations_spread_when_trials_validated()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--vary", "validation=0,10", "--seeds", "1-2");

        var report = RunnerInProcess.Run("report", sweep);

        string[] lines = report.Output.Split('\n');
        Assert.That(lines[0], Does.Match("best val acc median +best val range +best val IQR"));
        Assert.That(lines[1], Does.StartWith("validation=0").And.Contain(" -  "));
        Assert.That(lines[2], Does.StartWith("validation=10").And.Match(@" \d\.\d{4} to \d\.\d{4} .* \d\.\d{4} to \d\.\d{4} "));
    }

    [Test]
    public void Report_of_a_folder_without_a_sweep_is_one_sentence()
    {
        Directory.CreateDirectory(_folder.File("empty"));

        UserErrorAssert.OneSentence(RunnerInProcess.Run("report", _folder.File("empty")), 2, "holds no sweep (plan.json is missing)");
        UserErrorAssert.OneSentence(RunnerInProcess.Run("report", _folder.File("nowhere")), 2, "does not exist");
    }

    private const string OneTrial = """{ "number": 0, "configuration": "x", "seed": 1, "threads": 1, "settings": {} }""";

    [TestCase("""{ "format": 1, "trials": [ { "number": 5, "configuration": "x", "seed": 1, "threads": 1, "settings": {} } ] }""", "trial 0 is not a number, configuration")]
    [TestCase("""{ "format": 1, "trials": [ { "number": 0, "configuration": "x", "seed": 1, "threads": 0, "settings": {} } ] }""", "trial 0 is not a number, configuration")]
    [TestCase("""{ "format": 1, "trials": [ { "number": 0, "configuration": " ", "seed": 1, "threads": 1, "settings": {} } ] }""", "trial 0 is not a number, configuration")]
    [TestCase("""{ "format": 1, "trials": [ { "number": 0, "configuration": "x", "threads": 1, "settings": {} } ] }""", "lacks a field a plan has")]
    [TestCase("""{ "format": 1, "trials": [ { "number": 0, "configuration": "x", "seed": 1, "threads": 1, "settings": null } ] }""", "lacks a field a plan has")]
    [TestCase("""{ "format": 1, "trials": [ null ] }""", "trial 0 is not a number, configuration")]
    [TestCase("""{ "format": 1, "trials": [] }""", "it must list 1 to 100,000 trials")]
    [TestCase("""{ "format": 2, "trials": [ """ + OneTrial + """ ] }""", "it is not a sweep plan of format 1")]
    [TestCase("""{ "format": 1, "trials": [ """ + OneTrial + """ """, "it is not valid JSON")]
    [TestCase("""[ 1 ]""", "it is not valid JSON")]
    public void A_crafted_plan_is_refused_in_one_sentence(string plan, string problem)
    {
        string sweep = _folder.File("sweep");
        Directory.CreateDirectory(sweep);
        File.WriteAllText(Path.Combine(sweep, "plan.json"), plan);

        UserErrorAssert.OneSentence(RunnerInProcess.Run("report", sweep), 3, problem);
        UserErrorAssert.OneSentence(RunnerInProcess.Run("sweep", "--out", sweep, "--trial", "0", "--data", _data), 3, "cannot read the sweep plan");
    }

    [Test]
    public void Trial_needs_a_sweep_folder_and_a_trial_it_holds()
    {
        string sweep = _folder.File("sweep");
        Sweep(sweep, "--seeds", "1");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("sweep", "--out", sweep, "--trial", "1", "--data", _data), 2, "--trial 1: the sweep in");
        UserErrorAssert.OneSentence(RunnerInProcess.Run("sweep", "--out", sweep, "--trial", "0", "--seeds", "1-2"), 2, "leave out --seeds");
        UserErrorAssert.OneSentence(RunnerInProcess.Run("sweep", "--trial", "0"), 2, "--trial needs --out");
    }

    private static double TestAccuracy(string summary)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(summary));
        return json.RootElement.GetProperty("test_accuracy").GetDouble();
    }
}
