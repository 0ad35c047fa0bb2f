using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

public sealed class BenchCommandTests
{
    [Test]
    public void A_short_benchmark_prints_every_figure_and_writes_them_as_json()
    {
        using var folder = new TempFolder();
        string json = folder.File("bench.json");

        var result = RunnerProcess.Run("bench", "--samples", "1000", "--repeats", "1", "--threads", "1", "--json", json);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.StartWith("device cpu, step mode Synchronous, threads 1, ").And.Contain("load and verify MNIST: ").And.Contain("sgemm 2048x2048x2048 float32: ")
            .And.Contain("where an LSTM step of batch 100 spends its ").And.Contain("evaluate the LSTM on 10,000 test images: ").And.Contain("peak working set: ")
            .And.Contain("inference on the CPU, hidden 128: load, latency for one image (1000 calls), throughput on the test set (batches of 1000)"));
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var root = report.RootElement;
        Assert.That(root.GetProperty("threads").GetInt32(), Is.EqualTo(1));
        Assert.That(root.GetProperty("device").GetString(), Is.EqualTo("cpu"));
        Assert.That(root.GetProperty("gpu_memory_in_use_peak_mb").ValueKind, Is.EqualTo(JsonValueKind.Null), "no GPU, no GPU memory figure");
        foreach (string key in new[] { "load_seconds", "sgemm_gflops", "evaluation_seconds", "evaluation_images_per_second", "peak_working_set_mb" })
            Assert.That(root.GetProperty(key).GetDouble(), Is.GreaterThan(0), key);
        var rows = root.GetProperty("training").EnumerateArray().ToList();
        Assert.That(rows.Select(r => (r.GetProperty("cell").GetString(), r.GetProperty("batch").GetInt32())),
            Is.EqualTo(new[] { ("rnn", 100), ("lstm", 100), ("gru", 100), ("lstm", 256), ("lstm", 1000) }));
        Assert.That(rows.Select(r => r.GetProperty("mfu").GetDouble()), Is.All.GreaterThan(0));
        var profile = root.GetProperty("lstm_step_milliseconds").EnumerateObject().ToList();
        Assert.That(profile.Select(p => p.Name), Is.EqualTo(new[]
            { "batch gather", "zero gradients", "forward", "loss", "backward", "clipping", "loss read-back", "adam", "accuracy" }));
        Assert.That(profile.Select(p => p.Value.GetDouble()), Is.All.GreaterThan(0));
        var inference = root.GetProperty("inference").EnumerateArray().ToList();
        Assert.That(inference.Select(r => (r.GetProperty("engine").GetString(), r.GetProperty("cell").GetString())),
            Is.EqualTo(new[] { ("TorchSharp", "lstm"), ("ONNX Runtime", "lstm"), ("TorchSharp", "gru"), ("ONNX Runtime", "gru") }));
        foreach (string key in new[] { "load_milliseconds", "latency_median_milliseconds", "latency_p99_milliseconds", "images_per_second" })
            Assert.That(inference.Select(r => r.GetProperty(key).GetDouble()), Is.All.GreaterThan(0), key);
        Assert.That(inference.Select(r => r.GetProperty("latency_p99_milliseconds").GetDouble() - r.GetProperty("latency_median_milliseconds").GetDouble()),
            Is.All.GreaterThanOrEqualTo(0), "p99 is not below the median");
    }

    [TestCase("bench", "--threads", "0", "--threads must be at least 1, got 0.")]
    [TestCase("bench", "--samples", "10", "--samples must be at least 1000, got 10.")]
    [TestCase("train", "--recipe", "turbo", "--recipe: unknown recipe 'turbo'; use fast or best.")]
    [TestCase("train", "--schedule", "linear", "--schedule: unknown schedule 'linear'; use constant, cosine, one-cycle or plateau.")]
    public void Bad_values_are_usage_errors(string command, string flag, string value, string message)
    {
        var result = RunnerProcess.Run(command, flag, value);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Is.EqualTo(message));
    }

    [Test]
    public void A_warmup_longer_than_training_names_the_flag()
    {
        var result = RunnerProcess.Run("train", "--schedule", "cosine", "--warmup", "10", "--steps", "5");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Is.EqualTo("--warmup warm-up of 10 steps exceeds the 5 training steps."));
    }

    [Test]
    public void Flags_typed_after_a_recipe_override_it()
    {
        using var folder = new TempFolder();
        string data = IdxWriter.Folder(folder.File("data"), trainCount: 300, testCount: 20);

        var result = RunnerProcess.Run("train", "--recipe", "fast", "--steps", "60", "--log-every", "30", "--data", data, "--out", folder.File("run"),
            "--summary", folder.File("summary.json"));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(folder.File("summary.json")));
        Assert.That(summary.RootElement.GetProperty("steps").GetInt32(), Is.EqualTo(60));
        Assert.That(summary.RootElement.GetProperty("batch_size").GetInt32(), Is.EqualTo(256), "the recipe's batch size");
    }
}
