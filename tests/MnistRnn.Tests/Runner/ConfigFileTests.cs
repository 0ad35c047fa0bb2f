using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary><c>train --config FILE.json</c> and <c>--print-config</c>: defaults &lt; recipe &lt; config file &lt; typed flags.</summary>
[Category("RunnerInProcess")]
public sealed class ConfigFileTests
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

    private string Config(string json)
    {
        string path = _folder.File($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonElement Printed(DotnetProcess.Result result)
    {
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        return JsonDocument.Parse(result.Output).RootElement;
    }

    [Test]
    public void A_printed_config_trains_the_same_run_as_the_flags_it_came_from()
    {
        string[] flags = ["--model", "gru", "--hidden", "8", "--batch-size", "10", "--steps", "6", "--log-every", "2", "--layers", "2", "--dropout", "0.1",
            "--schedule", "one-cycle", "--validation", "20", "--validate-every", "3", "--precision", "bf16-mixed", "--device", "cpu", "--threads", "1", "--data", _data];
        var printed = RunnerInProcess.Run(["train", .. flags, "--print-config"]);
        Assert.That(printed.ExitCode, Is.EqualTo(0), printed.Error);
        string config = Config(printed.Output);

        var fromFlags = RunnerInProcess.Run(["train", .. flags, "--out", _folder.File("flags")]);
        var fromConfig = RunnerInProcess.Run("train", "--config", config, "--threads", "1", "--data", _data, "--out", _folder.File("config"));

        Assert.That(fromFlags.ExitCode, Is.EqualTo(0), fromFlags.Error);
        Assert.That(fromConfig.Output, Is.EqualTo(fromFlags.Output));
        Assert.That(fromConfig.Output, Does.Contain("validation at step 3"));
        // And printing from the file gives the file back.
        Assert.That(RunnerInProcess.Run("train", "--config", config, "--print-config").Output, Is.EqualTo(printed.Output));
    }

    [Test]
    public void Typed_flags_override_the_file_which_overrides_the_recipe()
    {
        string config = Config("""{ "recipe": "fast", "lr": 0.02, "hidden": 64 }""");

        var settings = Printed(RunnerInProcess.Run("train", "--config", config, "--hidden", "32", "--print-config"));

        Assert.That(settings.GetProperty("batch-size").GetInt32(), Is.EqualTo(256), "from the recipe");
        Assert.That(settings.GetProperty("lr").GetDouble(), Is.EqualTo(0.02), "from the file, over the recipe's 0.01");
        Assert.That(settings.GetProperty("hidden").GetInt32(), Is.EqualTo(32), "typed, over the file");
        Assert.That(settings.GetProperty("schedule").GetString(), Is.EqualTo("cosine"));
        Assert.That(settings.GetProperty("precision").GetString(), Is.EqualTo("auto"), "the recipe's: bf16-mixed where it is faster");
    }

    [TestCase("""{ "learning-rate": 0.1 }""", "has an unknown key 'learning-rate'; keys are train's flag names without dashes")]
    [TestCase("""{ "lr": "fast" }""", "--config: in CONFIG, --lr: 'fast' is not a number")]
    [TestCase("""{ "layers": [2] }""", "--config: in CONFIG, key 'layers' must be a number, a string or true/false, not array")]
    [TestCase("""{ "model": "transformer" }""", "--model: unknown cell 'transformer'")]
    [TestCase("""{ "dropout": 0.5 }""", "--dropout applies between layers")]
    [TestCase("""[ "lr", 0.1 ]""", "must hold one JSON object of settings")]
    [TestCase("""{ "lr": 0.1, """, "is not valid JSON")]
    public void A_bad_config_file_is_one_sentence_naming_the_key_and_file(string json, string message)
    {
        string config = Config(json);

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--config", config, "--print-config"), 2, message.Replace("CONFIG", config));
    }

    [Test]
    public void A_missing_config_file_is_named() =>
        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--config", _folder.File("none.json")), 2, "--config: ");
}
