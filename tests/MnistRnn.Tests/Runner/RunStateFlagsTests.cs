using System.Text.Json;
using MnistRnn.Checkpoints;
using MnistRnn.Training;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary>
/// train's --max-time, --ema, --accumulate and --precision, as a user types them, across a resume; and --precision as a key
/// of compare's specs.
/// </summary>
[Category("RunnerInProcess")]
public sealed class RunStateFlagsTests
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

    private DotnetProcess.Result Train(string summary, params string[] extra) =>
        RunnerInProcess.Run(["train", "--data", _data, "--batch-size", "10", "--hidden", "8", "--device", "cpu", "--threads", "1",
            "--summary", _folder.File(summary + ".json"), .. extra]);

    private JsonElement Summary(string name) => JsonDocument.Parse(File.ReadAllText(_folder.File(name + ".json"))).RootElement;

    [Test]
    public void A_time_budget_stops_the_run_says_why_and_a_resume_needs_a_larger_one()
    {
        string run = _folder.File("run");

        var stopped = Train("stopped", "--steps", "1000000", "--max-time", "00:00:01", "--out", run);

        Assert.That(stopped.ExitCode, Is.EqualTo(0), stopped.Error);
        int step = Summary("stopped").GetProperty("stopped_early_after_step").GetInt32();
        Assert.That(stopped.Output, Does.Contain($"stopping after step {step}: the time budget of 00:00:01 is spent (trained 00:00:01"));
        Assert.That(stopped.Output, Does.Contain("final loss "));
        Assert.That(Summary("stopped").GetProperty("stopped_by").GetString(), Is.EqualTo("time_budget"));
        Assert.That(CheckpointStore.StepOf(CheckpointStore.List(run)[0]), Is.EqualTo(step));

        var spent = RunnerInProcess.Run("train", "--resume", run, "--data", _data);
        Assert.That(spent.ExitCode, Is.EqualTo(2));
        Assert.That(spent.Error, Does.StartWith("--max-time 00:00:01: the run has already trained 00:00:01")
            .And.Contain("give a larger --max-time to train further."));

        var continued = RunnerInProcess.Run("train", "--resume", run, "--data", _data, "--max-time", "01:00:00", "--steps", (step + 3).ToString(), "--log-every", "1");
        Assert.That(continued.ExitCode, Is.EqualTo(0), continued.Error);
        Assert.That(continued.Output, Does.StartWith($"step {step + 1}, "));
    }

    [Test]
    public void The_weight_average_is_what_train_tests_and_eval_evaluates()
    {
        var trained = Train("ema", "--steps", "20", "--ema", "0.9", "--out", _folder.File("ema"));
        Assert.That(trained.ExitCode, Is.EqualTo(0), trained.Error);
        string finalLine = trained.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

        var evaluation = RunnerInProcess.Run("eval", "--checkpoint", _folder.File("ema"), "--data", _data, "--out", _folder.File("eval"));

        Assert.That(evaluation.ExitCode, Is.EqualTo(0), evaluation.Error);
        Assert.That(evaluation.Output, Does.Contain("test " + finalLine["final ".Length..] + " on 20 images"));
        // Without the average, the last step's own weights test differently.
        var plain = Train("plain", "--steps", "20", "--out", _folder.File("plain"));
        Assert.That(plain.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], Is.Not.EqualTo(finalLine));
    }

    [TestCase("--ema", "1.5", "--ema must be above 0 and below 1, got 1.5.")]
    [TestCase("--accumulate", "0", "--accumulate must be 1 to 1024, got 0.")]
    [TestCase("--max-time", "10m", "--max-time: '10m' is not a time; write it as HH:MM:SS (00:10:00 is ten minutes) or DD:HH:MM:SS.")]
    public void A_bad_value_is_one_sentence_naming_the_flag(string flag, string value, string message)
    {
        var result = Train("bad", "--steps", "2", flag, value, "--out", _folder.File("bad"));

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.StartWith(message));
        Assert.That(Directory.Exists(_folder.File("bad")), Is.False, "nothing written");
    }

    [Test]
    public void Accumulated_batches_train_with_the_setting_recorded_and_a_resume_keeps_it()
    {
        var trained = Train("acc", "--steps", "4", "--accumulate", "2", "--out", _folder.File("acc"));
        Assert.That(trained.ExitCode, Is.EqualTo(0), trained.Error);
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(_folder.File("acc"))[0]);
        Assert.That(checkpoint.Info.Options.AccumulateBatches, Is.EqualTo(2));

        var changed = RunnerInProcess.Run("train", "--resume", _folder.File("acc"), "--data", _data, "--steps", "6", "--accumulate", "1");
        Assert.That(changed.ExitCode, Is.EqualTo(2));
        Assert.That(changed.Error, Does.StartWith("--accumulate 1 contradicts the checkpoint's 2"));
    }

    [Test]
    public void The_default_trains_in_float32_as_given()
    {
        var result = Train("default", "--steps", "2", "--out", _folder.File("default"));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Not.Contain("precision"));
        Assert.That(Summary("default").GetProperty("precision").GetString(), Is.EqualTo("32"));
        Assert.That(Summary("default").GetProperty("precision_chosen_by").GetString(), Is.EqualTo("given"));
    }

    [Test]
    public void Auto_says_what_it_chose_and_why_and_a_resume_keeps_the_choice()
    {
        string run = _folder.File("run");
        var first = Train("auto", "--steps", "4", "--precision", "auto", "--out", run);

        Assert.That(first.ExitCode, Is.EqualTo(0), first.Error);
        string chosen = Summary("auto").GetProperty("precision").GetString()!;
        string why = Summary("auto").GetProperty("precision_chosen_by").GetString()!;
        Assert.That(chosen, Is.AnyOf("32", "bf16-mixed"));
        Assert.That(why, Does.Contain("ms").Or.Contain("bfloat16 instructions"));
        Assert.That(first.Output, Does.StartWith($"precision auto: {chosen}, because {why}\n"));

        var resumed = RunnerInProcess.Run("train", "--resume", run, "--data", _data, "--steps", "6", "--precision", "auto",
            "--summary", _folder.File("resumed.json"));
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Error);
        Assert.That(Summary("resumed").GetProperty("precision").GetString(), Is.EqualTo(chosen));
        Assert.That(Summary("resumed").GetProperty("precision_chosen_by").GetString(), Does.Contain("checkpoint"));
    }

    [Test]
    public void Accumulated_batches_larger_than_the_training_set_are_refused_as_a_batch_that_large_is()
    {
        // 40 training images: 10 a batch, 5 accumulated, is 50 a step.
        var train = Train("accumulate", "--steps", "1", "--accumulate", "5", "--out", _folder.File("accumulate"));
        var compare = RunnerInProcess.Run("compare", "--runs", "lstm", "lstm:accumulate=5", "--data", _data, "--batch-size", "10", "--hidden", "8",
            "--steps", "1", "--out", _folder.File("compare"));

        Assert.That(train.ExitCode, Is.EqualTo(2));
        Assert.That(train.Error.TrimEnd(), Is.EqualTo($"--data {_data}: --accumulate is 5 with batches of 10: 50 sequences a step, more than the 40 training sequences; accumulate fewer batches or use smaller ones."));
        Assert.That(compare.ExitCode, Is.EqualTo(2), compare.Error);
        Assert.That(compare.Error, Does.Contain("--accumulate is 5 with batches of 10: 50 sequences a step"));
        Assert.That(Directory.Exists(_folder.File("accumulate")) && Directory.EnumerateFiles(_folder.File("accumulate")).Any(), Is.False, "nothing written");
    }

    [Test]
    public void An_explicit_bf16_mixed_says_once_whether_this_cpu_emulates_it()
    {
        var result = Train("bf16", "--steps", "3", "--precision", "bf16-mixed", "--out", _folder.File("bf16"));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        bool lacks = BFloat16Hardware.OfThisCpu().HasIt == false;
        var summary = Summary("bf16");
        Assert.That(summary.GetProperty("precision").GetString(), Is.EqualTo("bf16-mixed"));
        Assert.That(summary.GetProperty("precision_emulated").GetBoolean(), Is.EqualTo(lacks));
        string warning = "precision bf16-mixed: given, but this CPU has no bfloat16 instructions";
        int said = (result.Output + result.Error).Split(warning).Length - 1;
        Assert.That(said, Is.EqualTo(lacks ? 1 : 0), $"the warning, once where this CPU lacks bfloat16; output:\n{result.Output}\n{result.Error}");
        if (lacks) Assert.That(summary.GetProperty("precision_chosen_by").GetString(), Does.StartWith("given, but this CPU has no bfloat16 instructions"));
    }

    [Test]
    public void A_resume_in_the_other_precision_is_refused_naming_the_flag()
    {
        string run = _folder.File("run");
        Assert.That(Train("bf16", "--steps", "2", "--precision", "bf16-mixed", "--out", run).ExitCode, Is.EqualTo(0));

        var result = RunnerInProcess.Run("train", "--resume", run, "--data", _data, "--steps", "4", "--precision", "32");

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.StartWith("--precision 32 contradicts the checkpoint's bf16-mixed;"));
    }

    [Test]
    public void Compare_trains_a_spec_in_bf16_mixed_beside_float32()
    {
        string report = _folder.File("report");
        var result = RunnerInProcess.Run("compare", "--runs", "lstm", "lstm:precision=bf16-mixed", "--steps", "3", "--batch-size", "10", "--hidden", "8",
            "--data", _data, "--device", "cpu", "--threads", "1", "--out", report);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        string table = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.That(table, Does.Contain("lstm:precision=bf16-mixed"));
    }
}
