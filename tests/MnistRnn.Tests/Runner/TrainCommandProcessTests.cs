using System.Diagnostics;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary>What only a process of the runner shows: stop signals, a log folder that vanishes mid-run, the working folder.</summary>
[Category("RunnerProcess")]
public sealed class TrainCommandProcessTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [Test]
    public void A_logdir_that_fails_mid_run_stops_training_with_a_checkpoint_and_is_named_as_the_cause()
    {
        string data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20);
        string logDir = _folder.File("events");
        using var process = RunnerProcess.Start("train", "--data", data, "--steps", "1000000", "--batch-size", "10", "--log-every", "10",
            "--device", "cpu", "--threads", "1", "--out", _folder.File("checkpoints"), "--logdir", logDir);
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(process.StandardOutput.ReadLine(), Does.StartWith("step 10, "), "training started");

        // The folder vanishing is the portable stand-in for a full disk: the next event write fails. A rename is
        // atomic, where a recursive delete can race the runner's next write.
        Directory.Move(logDir, logDir + "-gone");
        process.StandardOutput.ReadToEndAsync();
        bool exited = process.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.That(exited, Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(5), error.Result);
        Assert.That(error.Result, Does.StartWith($"--logdir: cannot write event files in {logDir}").And.Contain("training stopped. Checkpoint saved to"));
        Assert.That(MnistRnn.Checkpoints.CheckpointStore.List(_folder.File("checkpoints")), Is.Not.Empty);
    }

    [Test]
    public void Without_data_flag_it_finds_the_vendored_mnist_from_inside_the_repository()
    {
        var result = RunnerProcess.RunIn(Path.Combine(RepositoryPaths.Root, "src"), "train", "--steps", "1", "--model", "rnn", "--device", "cpu",
            "--out", _folder.File("checkpoints"));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("step 1, loss ").And.Contain("final loss "));
    }

    // Ctrl+C, a service manager's stop, and the terminal closing (SIGHUP, which used to kill the run with no checkpoint).
    [TestCase("INT", 2)]
    [TestCase("TERM", 15)]
    [TestCase("HUP", 1)]
    [Platform("Linux,MacOsX")]
    public void A_stop_signal_ends_training_after_the_step_in_flight_with_a_checkpoint_and_exit_code_130(string signal, int number)
    {
        // A shell without job control starts background commands with SIGINT ignored, and nohup ignores SIGHUP;
        // children inherit that, and the runner then rightly never sees the signal.
        Assume.That(SignalIsIgnored(number), Is.False, $"this test process was started with SIG{signal} ignored, so its children cannot be stopped by it");
        string data = IdxWriter.Folder(_folder.Path, trainCount: 40, testCount: 20);
        using var process = RunnerProcess.Start("train", "--data", data, "--steps", "1000000", "--batch-size", "10", "--log-every", "10",
            "--device", "cpu", "--threads", "1", "--out", _folder.File("checkpoints"));
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(process.StandardOutput.ReadLine(), Does.StartWith("step 10, "), "training started");

        using (var kill = Process.Start("kill", $"-{signal} {process.Id}")) kill.WaitForExit();
        process.StandardOutput.ReadToEndAsync();
        bool exited = process.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.That(exited, Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(130));
        var message = System.Text.RegularExpressions.Regex.Match(error.Result,
            @"^Interrupted after step (\d+) of 1000000; checkpoint saved to (\S+)\. Continue with --resume (\S+)\s*$");
        Assert.That(message.Success, Is.True, error.Result);
        string checkpoint = message.Groups[2].Value;
        Assert.That(checkpoint, Is.EqualTo(Path.Combine(_folder.File("checkpoints"), $"checkpoint-step-{int.Parse(message.Groups[1].Value):D7}.ckpt")));
        Assert.That(MnistRnn.Checkpoints.CheckpointFile.Read(checkpoint).Info.Step, Is.EqualTo(int.Parse(message.Groups[1].Value)));
    }

    /// <summary>Whether signal <paramref name="number"/> (bit number - 1 of the SigIgn mask in /proc/self/status) is ignored by this process.</summary>
    private static bool SignalIsIgnored(int number)
    {
        if (!OperatingSystem.IsLinux()) return false;
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (number - 1))) != 0;
    }
}
