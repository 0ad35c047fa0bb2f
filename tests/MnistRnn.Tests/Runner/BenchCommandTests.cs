using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

[Category("RunnerInProcess")]
public sealed class BenchCommandTests
{
    [TestCase("bench", "--threads", "0", "--threads must be at least 1, got 0.")]
    [TestCase("bench", "--samples", "10", "--samples must be at least 1000, got 10.")]
    [TestCase("train", "--recipe", "turbo", "--recipe: unknown recipe 'turbo'; use fast or best.")]
    [TestCase("train", "--schedule", "linear", "--schedule: unknown schedule 'linear'; use constant, cosine, one-cycle or plateau.")]
    public void Bad_values_are_usage_errors(string command, string flag, string value, string message)
    {
        var result = RunnerInProcess.Run(command, flag, value);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Is.EqualTo(message));
    }

    [Test]
    public void A_warmup_longer_than_training_names_the_flag()
    {
        var result = RunnerInProcess.Run("train", "--schedule", "cosine", "--warmup", "10", "--steps", "5");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Is.EqualTo("--warmup warm-up of 10 steps exceeds the 5 training steps."));
    }

    [Test]
    public void Flags_typed_after_a_recipe_override_it()
    {
        using var folder = new TempFolder();
        string data = IdxWriter.Folder(folder.File("data"), trainCount: 300, testCount: 20);

        // A narrow model: what is checked is which settings win, not what they train.
        var result = RunnerInProcess.Run("train", "--recipe", "fast", "--steps", "60", "--hidden", "8", "--log-every", "30", "--data", data, "--out", folder.File("run"),
            "--summary", folder.File("summary.json"));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(folder.File("summary.json")));
        Assert.That(summary.RootElement.GetProperty("steps").GetInt32(), Is.EqualTo(60));
        Assert.That(summary.RootElement.GetProperty("batch_size").GetInt32(), Is.EqualTo(256), "the recipe's batch size");
    }
}
