using MnistRnn.Diagnostics;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary>compare, which reads the vendored MNIST whole, run end to end in this process.</summary>
[Category("Regression")]
public sealed class CompareRunTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static readonly string[] ReportColumns =
    [
        "run", "cell", "test_accuracy", "test_loss", "train_seconds", "samples_per_second", "step_batch_accuracy_0_9",
        "max_grad_norm", "median_grad_norm", "clipped_fraction", "final_saturation", "stall_step",
    ];

    private static void AssertPng(string path)
    {
        Assert.That(File.Exists(path), Is.True, path);
        byte[] header = File.ReadAllBytes(path)[..8];
        Assert.That(header, Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), path);
    }

    [Test]
    public void A_short_comparison_on_mnist_writes_every_promised_file()
    {
        string report = Path.Combine(_folder.Path, "report");
        string logDir = Path.Combine(_folder.Path, "tensorboard");

        var result = RunnerInProcess.Run("compare", "--runs", "rnn:clip-norm=0", "lstm", "irnn:lr=0.001,clip-norm=1",
            "--steps", "30", "--log-every", "10", "--device", "cpu", "--out", report, "--logdir", logDir);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("== run 3 of 3: irnn:lr=0.001,clip-norm=1 ==").And.Contain($"Report written to {report}"));
        string[] csv = File.ReadAllLines(Path.Combine(report, "report.csv"));
        Assert.That(csv[0].Split(','), Is.EqualTo(ReportColumns));
        Assert.That(csv.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "rnn:clip-norm=0", "lstm", "\"irnn:lr=0.001" }));
        string markdown = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.That(markdown, Does.Contain("| run | cell | test acc |").And.Contain("![gradient-flow](gradient-flow.png)"));
        foreach (string png in new[] { "loss.png", "accuracy.png", "grad-norm.png", "gradient-flow.png", "hidden-state.png" })
            AssertPng(Path.Combine(report, png));
        foreach (var (run, trial) in new[] { ("rnn-clip-norm-0", "0000"), ("lstm", "0001"), ("irnn-lr-0.001-clip-norm-1", "0002") })
        {
            string folder = Path.Combine(report, "trials", trial, "metrics");
            string[] metrics = File.ReadAllLines(Path.Combine(folder, "metrics.csv"));
            Assert.That(metrics[0].Split(','), Is.EqualTo(MetricsWriter.Columns), run);
            Assert.That(metrics, Has.Length.EqualTo(31), run);
            Assert.That(File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")), Has.Length.EqualTo(30), run);
            string[] flow = File.ReadAllLines(Path.Combine(folder, "gradient-flow.csv"));
            Assert.That(flow[0], Does.StartWith("step,t1,t2,").And.EndWith(",t28"), run);
            Assert.That(flow.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "0", "30" }), run);
            Assert.That(File.ReadAllLines(Path.Combine(folder, "hidden-state.csv")), Has.Length.EqualTo(1001), run);
            Assert.That(Directory.GetFiles(Path.Combine(logDir, run), "events.out.tfevents.*"), Has.Length.EqualTo(1), run);
        }
    }
}
