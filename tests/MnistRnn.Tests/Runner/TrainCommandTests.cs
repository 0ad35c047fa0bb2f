using System.Diagnostics;
using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

public sealed class TrainCommandTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [TestCase("--lr", "-1", "--lr must be a positive number up to 10")]
    [TestCase("--lr", "1e38", "--lr must be a positive number up to 10")]
    [TestCase("--keep", "0", "--keep must be at least 1")]
    [TestCase("--checkpoint-every", "-1", "--checkpoint-every must not be negative")]
    [TestCase("--max-nonfinite", "0", "--max-nonfinite must be at least 1")]
    [TestCase("--batch-size", "0", "--batch-size must be at least 1")]
    [TestCase("--steps", "-4", "--steps must be at least 1")]
    [TestCase("--clip-norm", "-2", "--clip-norm must be a positive number")]
    [TestCase("--model", "transformer", "--model: unknown cell 'transformer'")]
    [TestCase("--device", "tpu", "--device: unknown device 'tpu'")]
    [TestCase("--batch-size", "many", "'many'")]
    [TestCase("--data", "/no/such/folder", "--data: folder /no/such/folder does not exist")]
    [TestCase("--order", "columns", "--order: unknown order 'columns'")]
    [TestCase("--stall-window", "-1", "--stall-window must not be negative")]
    // A comma is a decimal separator in much of the world; read as a thousands separator it made 0,01 into 1.
    [TestCase("--lr", "0,01", "--lr: '0,01' is not a number; write it as 0.01 or 1e-3 with a point")]
    [TestCase("--clip-norm", "NaN", "--clip-norm: 'NaN' is not a number")]
    [TestCase("--clip-norm", "1e400", "--clip-norm: '1e400' is not a number")]
    // Numbers and comma lists are not names, though Enum.TryParse takes them.
    [TestCase("--model", "2", "--model: unknown cell '2'")]
    [TestCase("--model", "rnn,lstm", "--model: unknown cell 'rnn,lstm'")]
    [TestCase("--order", "1", "--order: unknown order '1'")]
    [TestCase("--device", "-1", "--device: unknown device '-1'")]
    // An unset shell variable: an empty path would resolve to the current folder or crash.
    [TestCase("--out", "", "--out: the value is empty")]
    [TestCase("--data", "", "--data: the value is empty")]
    [TestCase("--summary", " ", "--summary: the value is empty")]
    [TestCase("--resume", "", "--resume: the value is empty")]
    [TestCase("--logdir", "", "--logdir: the value is empty")]
    public void Invalid_options_get_one_sentence_and_exit_code_2(string flag, string value, string message) =>
        UserErrorAssert.OneSentence(RunnerProcess.Run("train", flag, value), 2, message);

    [Test]
    public void A_logdir_that_takes_no_files_is_refused_before_anything_is_created()
    {
        // /proc refuses new files even to root, where a read-only permission would not.
        string output = _folder.File("out");

        UserErrorAssert.OneSentence(RunnerProcess.Run("train", "--logdir", "/proc", "--out", output, "--steps", "1"), 5,
            "--logdir: cannot write event files in /proc");
        Assert.That(Directory.Exists(output), Is.False, "no checkpoint folder was left behind");
    }

    [Test]
    public void A_logdir_that_fails_mid_run_stops_training_with_a_checkpoint_and_is_named_as_the_cause()
    {
        string data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20);
        string logDir = _folder.File("events");
        using var process = RunnerProcess.Start("train", "--data", data, "--steps", "1000000", "--batch-size", "10", "--log-every", "10",
            "--device", "cpu", "--out", _folder.File("checkpoints"), "--logdir", logDir);
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
    public void Training_that_cannot_fit_in_memory_is_refused_before_it_starts()
    {
        // Pixel order at batch 60000 and hidden 4096 would keep about 20 PB of activations: no machine has that,
        // and the weights (270 MB) are all that is allocated before the refusal.
        string output = _folder.File("out");

        UserErrorAssert.OneSentence(
            RunnerProcess.Run("train", "--order", "pixels", "--hidden", "4096", "--batch-size", "60000", "--steps", "1", "--out", output), 2,
            "Training the lstm model of hidden size 4096 on batches of 60000 sequences of 784 steps needs about");
        Assert.That(Directory.Exists(output), Is.False, "the folder it claimed is removed again");
    }

    [Test]
    public void A_summary_path_ending_in_a_separator_is_refused_without_creating_the_folder()
    {
        string summary = _folder.File("new-folder") + "/";

        UserErrorAssert.OneSentence(RunnerProcess.Run("train", "--summary", summary, "--steps", "1"), 2, "is a folder; give a file path");
        Assert.That(Directory.Exists(summary), Is.False);
    }

    [Test]
    public void An_unknown_flag_is_a_usage_error() =>
        UserErrorAssert.OneSentence(RunnerProcess.Run("train", "--learning-rate", "0.1"), 2,
            "Unrecognized command or argument '--learning-rate'. Run 'mnist-rnn train --help' for the options.");

    [Test]
    public void An_unknown_command_is_a_usage_error() =>
        UserErrorAssert.OneSentence(RunnerProcess.Run("fit"), 2, "Unrecognized command or argument 'fit'. Run 'mnist-rnn --help'");

    [Test]
    public void No_command_is_a_usage_error() =>
        UserErrorAssert.OneSentence(RunnerProcess.Run(), 2, "Required command was not provided.");

    [Test]
    public void Bad_data_names_the_file_and_exits_with_3()
    {
        IdxWriter.Folder(_folder.Path);
        string labels = _folder.File("train-labels-idx1-ubyte");
        File.WriteAllBytes(labels, IdxWriter.Labels(20, magic: 1234));

        UserErrorAssert.OneSentence(RunnerProcess.Run("train", "--data", _folder.Path), 3, $"{labels}: magic number is 1234");
    }

    [Test]
    public void A_batch_larger_than_the_training_set_is_a_usage_error()
    {
        IdxWriter.Folder(_folder.Path, trainCount: 40);

        UserErrorAssert.OneSentence(RunnerProcess.Run("train", "--data", _folder.Path, "--batch-size", "41"), 2,
            $"--batch-size 41 exceeds the 40 training images in {_folder.Path}.");
    }

    [Test]
    public void Asking_for_cuda_without_it_exits_with_4()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Ignore("this machine has CUDA");

        UserErrorAssert.OneSentence(RunnerProcess.Run("train", "--device", "cuda", "--steps", "1"), 4, "--device: CUDA is not available");
    }

    [Test]
    public void A_short_run_prints_the_experiments_lines_and_writes_the_summary()
    {
        string data = IdxWriter.Folder(Path.Combine(_folder.Path, "data"), trainCount: 40, testCount: 20);
        string summary = Path.Combine(_folder.Path, "out", "summary.json");

        var result = RunnerProcess.Run("train", "--data", data, "--steps", "4", "--batch-size", "10", "--log-every", "2",
            "--model", "gru", "--device", "cpu", "--summary", summary);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "step 2", "step 4", "final loss " + lines[^1].Split(' ')[2].TrimEnd(',') }));
        Assert.That(lines[0], Does.Contain("mean of gru weight").And.Contain("grad norm"));
        using var json = JsonDocument.Parse(File.ReadAllText(summary));
        var root = json.RootElement;
        Assert.That(root.GetProperty("model").GetString(), Is.EqualTo("gru"));
        Assert.That(root.GetProperty("steps").GetInt32(), Is.EqualTo(4));
        foreach (string key in new[] { "test_loss", "test_accuracy", "train_seconds", "samples_per_second", "peak_working_set_mb" })
            Assert.That(root.GetProperty(key).GetDouble(), Is.GreaterThanOrEqualTo(0), key);
        Assert.That(root.GetProperty("data_is_verified_mnist").GetBoolean(), Is.False);
    }

    [Test]
    public void An_irnn_reads_pixels_one_by_one_and_logs_to_tensorboard()
    {
        string data = IdxWriter.Folder(Path.Combine(_folder.Path, "data"), trainCount: 20, testCount: 10, side: 6);
        string logDir = Path.Combine(_folder.Path, "tensorboard");

        var result = RunnerProcess.Run("train", "--data", data, "--model", "irnn", "--order", "pixels", "--steps", "3",
            "--batch-size", "10", "--log-every", "3", "--device", "cpu", "--logdir", logDir);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("mean of irnn weight").And.Contain("saturation"));
        var events = Directory.GetFiles(logDir, "events.out.tfevents.*");
        Assert.That(events, Has.Length.EqualTo(1));
        Assert.That(new FileInfo(events[0]).Length, Is.GreaterThan(0));
    }

    [Test]
    public void Any_image_size_and_label_count_in_idx_format_trains()
    {
        string data = IdxWriter.Folder(_folder.Path, trainCount: 30, testCount: 10, side: 9);
        File.WriteAllBytes(Path.Combine(data, "train-labels-idx1-ubyte"), IdxWriter.Labels(30, label: i => (byte)(i % 3)));
        File.WriteAllBytes(Path.Combine(data, "t10k-labels-idx1-ubyte"), IdxWriter.Labels(10, label: i => (byte)(i % 3)));

        var result = RunnerProcess.Run("train", "--data", data, "--steps", "3", "--batch-size", "10", "--device", "cpu");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("final loss "));
    }

    [Test]
    public void Without_data_flag_it_finds_the_vendored_mnist_from_inside_the_repository()
    {
        var result = RunnerProcess.RunIn(Path.Combine(RepositoryPaths.Root, "src"), "train", "--steps", "1", "--model", "rnn", "--device", "cpu",
            "--out", _folder.File("checkpoints"));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("step 1, loss ").And.Contain("final loss "));
    }

    [Test]
    public void Fashion_mnist_from_debian_trains_too()
    {
        const string fashion = "/usr/share/datasets/fashion-mnist";
        Assume.That(Directory.Exists(fashion), $"{fashion} is absent: apt-get install dataset-fashion-mnist");

        var result = RunnerProcess.Run("train", "--data", fashion, "--steps", "2", "--device", "cpu");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("final loss "));
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
            "--device", "cpu", "--out", _folder.File("checkpoints"));
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
