using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Performance;

/// <summary>
/// Native memory over a few hundred training steps, measured in a child process: the live-tensor tests
/// cannot see native memory that is not a tensor, and glibc's settings must not leak into other tests.
/// </summary>
[Category("Regression")]
[NonParallelizable]
public sealed class NativeMemoryTests
{
    // Measured on the reference machine, the experiment's LSTM with the default (tuned) allocator: 1.0 and 0.9 MB
    // of growth between step 500 and step 800 in the two step modes. One leaked activation per step (a tensor of
    // the hidden sequence, 1.4 MB) would add 430 MB over the window; one leaked 50 KB buffer per step, 15 MB.
    // Not with glibc's defaults (--allocator system): they return large blocks to the system as they are freed,
    // so the working set at any instant swings by tens of MB (+32, +13 and +6 MB over 300, 600 and 900 steps).
    private const double MaxGrowthMb = 15;

    // One more try, never a larger threshold: in about 1 run of 12 the working set jumps once by 35 to 40 MB inside the
    // window (measured on the reference machine at c9a1269 and after it alike: resident-mode growths of 2.7, 11.7, 8.2,
    // 2.7, 39.0 and 2.7 MB over six runs of c9a1269's runner, 36.6 MB once in a full suite run), while a leak per step grows
    // steadily, run after run, by far more (see MaxGrowthMb). Two such jumps in a row still fail the test.
    [Retry(2)]
    [TestCase("sync")]
    [TestCase("resident")]
    public void The_working_set_stays_flat_from_step_500_to_step_800(string stepMode)
    {
        using var folder = new TempFolder();
        string summaryPath = folder.File("summary.json");

        var result = RunnerProcess.RunFor(TimeSpan.FromMinutes(15), AppContext.BaseDirectory, "train", "--model", "lstm", "--steps", "800",
            "--allocator", "tuned", "--step-mode", stepMode, "--out", folder.File("run"), "--summary", summaryPath);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
        double atStep500 = summary.RootElement.GetProperty("working_set_mb_at_step_500").GetDouble();
        double atStep800 = summary.RootElement.GetProperty("working_set_mb_at_last_step").GetDouble();
        TestContext.Out.WriteLine($"{stepMode}: working set {atStep500:F1} MB at step 500, {atStep800:F1} MB at step 800");
        Assert.That(atStep800 - atStep500, Is.LessThan(MaxGrowthMb), $"{atStep500:F1} MB -> {atStep800:F1} MB");
    }

    [Test]
    public void Glibc_can_be_told_to_keep_freed_memory()
    {
        Assume.That(OperatingSystem.IsLinux(), "glibc tuning applies on Linux only");
        using var folder = new TempFolder();
        string summaryPath = folder.File("summary.json");

        var result = RunnerProcess.Run("train", "--steps", "1", "--allocator", "tuned", "--out", folder.File("run"), "--summary", summaryPath);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
        Assert.That(summary.RootElement.GetProperty("allocator").GetString(), Is.EqualTo("tuned"));
    }
}
