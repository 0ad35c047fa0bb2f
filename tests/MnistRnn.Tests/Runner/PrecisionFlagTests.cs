using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary>train's --precision as a user types it: auto's choice and reason in the log and summary, kept on resume; and the key in compare's specs.</summary>
[Category("RunnerInProcess")]
public sealed class PrecisionFlagTests
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
