using System.Text.Json;
using MnistRnn.Checkpoints;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary>train's validation, early stopping, best-model, schedule and architecture flags, as a user types them.</summary>
[Category("RunnerInProcess")]
public sealed class ValidationFlagsTests
{
    private TempFolder _folder = null!;
    private string _data = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _data = IdxWriter.Folder(_folder.File("data"), trainCount: 60, testCount: 20, side: 8);
    }

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private DotnetProcess.Result Train(string folder, params string[] extra) =>
        RunnerInProcess.Run(["train", "--data", _data, "--batch-size", "10", "--hidden", "8", "--device", "cpu", "--threads", "1",
            "--out", _folder.File(folder), "--summary", _folder.File(folder + ".json"), .. extra]);

    private JsonElement Summary(string folder) => JsonDocument.Parse(File.ReadAllText(_folder.File(folder + ".json"))).RootElement;

    [Test]
    public void Validation_lines_follow_the_step_lines_and_the_best_weights_are_evaluated()
    {
        var result = Train("run", "--steps", "12", "--log-every", "4", "--validation", "20", "--validate-every", "4", "--keep-best");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Output + result.Error);
        string[] lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Where(l => l.StartsWith("validation at step ")).Select(l => l.Split(',')[0]),
            Is.EqualTo(new[] { "validation at step 4", "validation at step 8", "validation at step 12" }));
        Assert.That(lines[^2], Does.StartWith("evaluating the weights of step ").And.EndWith("training ran all 12 steps"));
        Assert.That(lines[^1], Does.StartWith("final loss "));
        var summary = Summary("run");
        Assert.That(summary.GetProperty("validation_images").GetInt32(), Is.EqualTo(20));
        int best = summary.GetProperty("best_validation").GetProperty("step").GetInt32();
        Assert.That(summary.GetProperty("weights_from_step").GetInt32(), Is.EqualTo(best));
        string bestCheckpoint = summary.GetProperty("best_checkpoint").GetString()!;
        Assert.That(CheckpointFile.Read(bestCheckpoint).Info.Step, Is.EqualTo(best));
        // The training split is what was not held out.
        Assert.That(CheckpointFile.Read(summary.GetProperty("checkpoint").GetString()!).Info.TrainCount, Is.EqualTo(40));

        // eval of the run folder takes the best checkpoint, says so, and prints the test line train printed for those weights.
        var evaluation = RunnerInProcess.Run("eval", "--checkpoint", _folder.File("run"), "--data", _data, "--out", _folder.File("eval"));
        Assert.That(evaluation.ExitCode, Is.EqualTo(0), evaluation.Error);
        Assert.That(evaluation.Error, Does.Contain($"note: using checkpoint-best.ckpt, the best validation's weights (step {best})"));
        Assert.That(evaluation.Output, Does.Contain("test " + lines[^1]["final ".Length..] + " on 20 images"));
    }

    [Test]
    public void Early_stopping_says_where_it_stopped_and_a_resume_of_the_interrupted_run_stops_there_too()
    {
        // A min-delta no loss can beat: the first validation stays the best and patience 2 ends the run at step 6.
        string[] settings = ["--steps", "40", "--validation", "20", "--validate-every", "2", "--early-stop", "2", "--min-delta", "100", "--log-every", "2"];
        var straight = Train("straight", settings);
        Assert.That(straight.ExitCode, Is.EqualTo(0), straight.Error);
        Assert.That(straight.Output, Does.Contain("stopping early after step 6: 2 validations in a row did not improve on the best, at step 2"));
        Assert.That(straight.Output, Does.Contain("evaluating the weights of step 2, the best validation").And.Contain("training stopped early after step 6"));
        Assert.That(Summary("straight").GetProperty("stopped_early_after_step").GetInt32(), Is.EqualTo(6));

        // Cut short after step 4 by --steps, then extended: the resumed run holds out the same images and stops at step 6. (Cut at
        // step 3, it would have validated after its last step, a validation the uninterrupted run never made.)
        var first = Train("interrupted", [.. settings[2..], "--steps", "4"]);
        Assert.That(first.ExitCode, Is.EqualTo(0), first.Error);
        var resumed = RunnerInProcess.Run("train", "--resume", _folder.File("interrupted"), "--steps", "40", "--data", _data, "--summary", _folder.File("resumed.json"));
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Error);
        Assert.That(resumed.Output, Does.Contain("stopping early after step 6"));
        string FinalLine(DotnetProcess.Result r) => r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.That(FinalLine(resumed), Is.EqualTo(FinalLine(straight)));
    }

    [TestCase("--early-stop", "3", "--early-stop, --keep-best and --schedule plateau read the validation loss; hold out validation images with --validation N")]
    [TestCase("--keep-best", null, "hold out validation images with --validation N")]
    [TestCase("--schedule", "plateau", "hold out validation images with --validation N")]
    public void Flags_that_need_validation_say_so(string flag, string? value, string message) =>
        UserErrorAssert.OneSentence(Train("refused", value is null ? [flag] : [flag, value]), 2, message);

    [TestCase("--validation", "-1", "--validation must not be negative")]
    [TestCase("--validation", "55", "--validation 55 leaves fewer than a step's 10 of the 60 training images")]
    [TestCase("--validate-every", "0", "--validate-every must be at least 1")]
    [TestCase("--monitor", "f1", "--monitor: unknown metric 'f1'; use loss or accuracy")]
    [TestCase("--schedule", "linear", "--schedule: unknown schedule 'linear'; use constant, cosine, one-cycle or plateau")]
    [TestCase("--warmup", "10", "--warmup applies to --schedule cosine, not constant")]
    [TestCase("--dropout", "0.2", "--dropout applies between layers, so it needs Layers of 2 or more")]
    [TestCase("--layers", "0", "--layers must be 1 to")]
    [TestCase("--min-delta", "-1", "--min-delta must be a finite number of at least 0")]
    public void Invalid_values_get_one_sentence(string flag, string value, string message) =>
        UserErrorAssert.OneSentence(Train("refused", flag == "--validation" ? [flag, value] : ["--validation", "20", flag, value]), 2, message);

    [Test]
    public void Every_architecture_and_optimizer_option_is_a_flag_and_a_resume_keeps_them()
    {
        var result = Train("wide", "--model", "gru", "--layers", "2", "--bidirectional", "--dropout", "0.1", "--weight-decay", "0.01", "--steps", "4",
            "--schedule", "one-cycle");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        var info = CheckpointFile.Read(Summary("wide").GetProperty("checkpoint").GetString()!).Info;
        Assert.That((info.Options.Layers, info.Options.Bidirectional, info.Options.Dropout, info.Options.WeightDecay, info.Options.Schedule.ToString()),
            Is.EqualTo((2, true, 0.1, 0.01, "one-cycle")));

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--resume", _folder.File("wide"), "--steps", "6", "--data", _data, "--layers", "3"), 2,
            "--layers 3 contradicts the checkpoint's 2");
        var evaluation = RunnerInProcess.Run("eval", "--checkpoint", _folder.File("wide"), "--data", _data, "--out", _folder.File("eval"));
        Assert.That(evaluation.ExitCode, Is.EqualTo(0), evaluation.Error);
    }

    [Test]
    public void A_compare_run_spec_takes_any_training_flag()
    {
        var result = RunnerInProcess.Run("compare", "--runs", "gru:layers=2,bidirectional=true,hidden=6", "rnn:lr=0.001", "--steps", "2", "--batch-size", "10",
            "--hidden", "8", "--data", _data, "--device", "cpu", "--out", _folder.File("report"));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Output + result.Error);
        Assert.That(result.Output, Does.Contain("gru:layers=2,bidirectional=true,hidden=6"));
    }

    [Test]
    public void Compare_validates_every_run_and_plots_the_validation_curves_with_where_each_stopped()
    {
        string report = _folder.File("validated");
        var result = RunnerInProcess.Run("compare", "--runs", "lstm", "gru", "--steps", "30", "--batch-size", "10", "--hidden", "8", "--data", _data,
            "--device", "cpu", "--validation", "20", "--validate-every", "2", "--early-stop", "2", "--min-delta", "100", "--out", report);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Output + result.Error);
        Assert.That(File.ReadAllBytes(Path.Combine(report, "validation.png"))[..4], Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
        string markdown = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.That(markdown, Does.Contain("![validation](validation.png)")
            .And.Contain("- lstm: best validation at step 2").And.Contain("stopped early after step 6; the test figures are of step 2's weights"));
        Assert.That(File.ReadAllLines(Path.Combine(report, "trials", "0001", "metrics", "validation.csv")),
            Has.Length.EqualTo(4).And.Some.EqualTo("step,loss,accuracy,is_best"));
    }
}
