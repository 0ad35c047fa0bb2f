using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

[Category("RunnerProcess")]
public sealed class ThreadsOptionTests
{
    [TestCase("eval", "--checkpoint", "no-such.ckpt")]
    [TestCase("train", "--steps", "1")]
    public void More_threads_than_logical_cores_are_refused_before_any_work(string command, string flag, string value)
    {
        // 10000 threads once started about 8,800 threads and turned a 3-second eval into one that did not end.
        int logical = Environment.ProcessorCount;

        var result = RunnerProcess.Run(command, flag, value, "--threads", "10000");

        UserErrorAssert.OneSentence(result, 2, $"--threads 10000 is more than the {logical} logical cores this process may use; use 1 to {logical}.");
    }

    [Test]
    public void The_summary_says_how_many_threads_trained_and_who_chose_them()
    {
        using var folder = new TempFolder();
        string data = IdxWriter.Folder(folder.File("data"), trainCount: 40, testCount: 20);

        var chosen = Summary(folder, data, "probed");
        var given = Summary(folder, data, "given", "--threads", "1");

        Assert.That(chosen.GetProperty("threads").GetInt32(), Is.InRange(1, Environment.ProcessorCount));
        Assert.That(chosen.GetProperty("threads_chosen_by").GetString(), Is.EqualTo("load"));
        Assert.That(given.GetProperty("threads").GetInt32(), Is.EqualTo(1));
        Assert.That(given.GetProperty("threads_chosen_by").GetString(), Is.EqualTo("--threads"));
    }

    [Test]
    public void A_resumed_run_without_threads_computes_with_its_checkpoints_count()
    {
        using var folder = new TempFolder();
        string data = IdxWriter.Folder(folder.File("data"), trainCount: 40, testCount: 20);
        Summary(folder, data, "first", "--threads", "1");

        var resumed = RunnerProcess.Run("train", "--resume", folder.File("first"), "--steps", "4", "--data", data, "--summary", folder.File("resumed.json"));

        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Error);
        var summary = JsonDocument.Parse(File.ReadAllText(folder.File("resumed.json"))).RootElement;
        Assert.That((summary.GetProperty("threads").GetInt32(), summary.GetProperty("threads_chosen_by").GetString()), Is.EqualTo((1, "the checkpoint")));
    }

    private static JsonElement Summary(TempFolder folder, string data, string name, params string[] flags)
    {
        string summary = folder.File($"{name}.json");
        var result = RunnerProcess.Run(["train", "--data", data, "--steps", "2", "--batch-size", "4", "--out", folder.File(name), "--summary", summary, .. flags]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        return JsonDocument.Parse(File.ReadAllText(summary)).RootElement.Clone();
    }
}
