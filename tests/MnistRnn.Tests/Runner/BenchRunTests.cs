using System.Text.Json;
using MnistRnn.Tests.Support;
using MnistRnn.Training;

namespace MnistRnn.Tests.Runner;

/// <summary>
/// A short <c>bench</c> on the vendored MNIST, in a process of its own on one thread. It asserts which figures it prints,
/// never how fast, so it runs beside the other tests that only wait for processes (see Parallelism.cs).
/// </summary>
[Category("Regression")]
[Parallelizable(ParallelScope.Self)]
public sealed class BenchRunTests
{
    [Test]
    public void A_short_benchmark_prints_every_figure_and_writes_them_as_json()
    {
        using var folder = new TempFolder();
        string json = folder.File("bench.json");
        // bf16-mixed only where the CPU computes it: emulated, its nine configurations alone take most of an hour.
        bool bf16 = BFloat16Hardware.OfThisCpu().HasIt == true;
        string[] precisions = bf16 ? ["32", "bf16-mixed"] : ["32"];

        // A process of its own: the memory figure needs the tuned allocator, whose glibc settings must not reach other tests.
        var result = RunnerProcess.RunFor(TimeSpan.FromMinutes(10), AppContext.BaseDirectory, "bench", "--samples", "1000", "--repeats", "1", "--threads", "1",
            "--precision", bf16 ? "both" : "32", "--allocator", "tuned", "--json", json);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.StartWith("device cpu, step mode Synchronous, threads 1, ").And.Contain("load and verify MNIST: ").And.Contain("sgemm 2048x2048x2048 float32: ")
            .And.Contain("where an LSTM step of batch 100 in float32 spends its ")
            .And.Contain("memory an LSTM step of batch 1000 holds for its backward pass").And.Contain("evaluate the LSTM on 10,000 test images: ").And.Contain("peak working set: ")
            .And.Contain("inference on the CPU, hidden 128: load, latency for one image (1000 calls), throughput on the test set (batches of 1000)"));
        if (bf16) Assert.That(result.Output, Does.Contain("gemm 2048x2048x2048 bfloat16: ").And.Contain("where an LSTM step of batch 100 in bf16-mixed spends its "));
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var root = report.RootElement;
        Assert.That(root.GetProperty("threads").GetInt32(), Is.EqualTo(1));
        Assert.That(root.GetProperty("device").GetString(), Is.EqualTo("cpu"));
        Assert.That(root.GetProperty("gpu_memory_in_use_peak_mb").ValueKind, Is.EqualTo(JsonValueKind.Null), "no GPU, no GPU memory figure");
        foreach (string key in new[] { "load_seconds", "sgemm_gflops", "evaluation_seconds", "evaluation_images_per_second", "peak_working_set_mb" }.Concat(bf16 ? ["bf16_gemm_gflops"] : []))
            Assert.That(root.GetProperty(key).GetDouble(), Is.GreaterThan(0), key);
        var rows = root.GetProperty("training").EnumerateArray().ToList();
        // Every cell at three batches, each in every precision asked for.
        var configurations = from cell in new[] { "rnn", "lstm", "gru" } from batch in new[] { 100, 256, 1000 } from precision in precisions
                             select (cell, batch, precision);
        Assert.That(rows.Select(r => (r.GetProperty("cell").GetString(), r.GetProperty("batch").GetInt32(), r.GetProperty("precision").GetString())),
            Is.EqualTo(configurations));
        Assert.That(rows.Select(r => r.GetProperty("mfu").GetDouble()), Is.All.GreaterThan(0));
        var float32Profile = root.GetProperty("lstm_step_milliseconds").GetProperty("32").EnumerateObject().ToList();
        Assert.That(float32Profile.Select(p => p.Name), Is.EqualTo(new[]
            { "batch gather", "zero gradients", "forward", "loss", "backward", "clipping", "loss read-back", "adam", "accuracy" }));
        Assert.That(float32Profile.Select(p => p.Value.GetDouble()), Is.All.GreaterThan(0));
        var held = root.GetProperty("lstm_batch1000_held_for_backward_mb");
        Assert.That(held.GetProperty("32").GetDouble(), Is.GreaterThan(0));
        if (bf16)
        {
            var bf16Profile = root.GetProperty("lstm_step_milliseconds").GetProperty("bf16-mixed").EnumerateObject().ToList();
            Assert.That(bf16Profile.Select(p => p.Name), Is.EqualTo(new[]
                { "batch gather", "zero gradients", "bf16 weights", "forward", "loss", "backward", "float32 gradients", "clipping", "loss read-back", "adam", "accuracy" }));
            Assert.That(bf16Profile.Select(p => p.Value.GetDouble()), Is.All.GreaterThan(0));
            // bfloat16 activations take less memory than float32 ones (the figure is glibc's, which this Linux has, with the tuned allocator).
            Assert.That(held.GetProperty("bf16-mixed").GetDouble(), Is.GreaterThan(0).And.LessThan(held.GetProperty("32").GetDouble()));
        }
        var inference = root.GetProperty("inference").EnumerateArray().ToList();
        Assert.That(inference.Select(r => (r.GetProperty("engine").GetString(), r.GetProperty("cell").GetString())),
            Is.EqualTo(new[] { ("TorchSharp", "lstm"), ("ONNX Runtime", "lstm"), ("TorchSharp", "gru"), ("ONNX Runtime", "gru") }));
        foreach (string key in new[] { "load_milliseconds", "latency_median_milliseconds", "latency_p99_milliseconds", "images_per_second" })
            Assert.That(inference.Select(r => r.GetProperty(key).GetDouble()), Is.All.GreaterThan(0), key);
        Assert.That(inference.Select(r => r.GetProperty("latency_p99_milliseconds").GetDouble() - r.GetProperty("latency_median_milliseconds").GetDouble()),
            Is.All.GreaterThanOrEqualTo(0), "p99 is not below the median");
    }
}
