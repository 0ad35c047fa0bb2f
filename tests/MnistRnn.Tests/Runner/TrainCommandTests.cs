using System.Diagnostics;
using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

[Category("RunnerInProcess")]
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
        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", flag, value), 2, message);

    [Test]
    public void A_logdir_that_takes_no_files_is_refused_before_anything_is_created()
    {
        // /proc refuses new files even to root, where a read-only permission would not.
        string output = _folder.File("out");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--logdir", "/proc", "--out", output, "--steps", "1"), 5,
            "--logdir: cannot write event files in /proc");
        Assert.That(Directory.Exists(output), Is.False, "no checkpoint folder was left behind");
    }

    [Test]
    public void Training_that_cannot_fit_in_memory_is_refused_before_it_starts()
    {
        // Pixel order at batch 60000 and hidden 4096 would keep about 20 PB of activations: no machine has that,
        // and the weights (270 MB) are all that is allocated before the refusal.
        string output = _folder.File("out");

        UserErrorAssert.OneSentence(
            RunnerInProcess.Run("train", "--order", "pixels", "--hidden", "4096", "--batch-size", "60000", "--steps", "1", "--out", output), 2,
            "Training the lstm model of hidden size 4096 on batches of 60000 sequences of 784 steps needs about");
        Assert.That(Directory.Exists(output), Is.False, "the folder it claimed is removed again");
    }

    [Test]
    public void A_summary_path_ending_in_a_separator_is_refused_without_creating_the_folder()
    {
        string summary = _folder.File("new-folder") + "/";

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--summary", summary, "--steps", "1"), 2, "is a folder; give a file path");
        Assert.That(Directory.Exists(summary), Is.False);
    }

    [Test]
    public void An_unknown_flag_is_a_usage_error() =>
        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--learning-rate", "0.1"), 2,
            "Unrecognized command or argument '--learning-rate'. Run 'mnist-rnn train --help' for the options.");

    [Test]
    public void An_unknown_command_is_a_usage_error() =>
        UserErrorAssert.OneSentence(RunnerInProcess.Run("fit"), 2, "Unrecognized command or argument 'fit'. Run 'mnist-rnn --help'");

    [Test]
    public void No_command_is_a_usage_error() =>
        UserErrorAssert.OneSentence(RunnerInProcess.Run(), 2, "Required command was not provided.");

    [Test]
    public void Bad_data_names_the_file_and_exits_with_3()
    {
        IdxWriter.Folder(_folder.Path);
        string labels = _folder.File("train-labels-idx1-ubyte");
        File.WriteAllBytes(labels, IdxWriter.Labels(20, magic: 1234));

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--data", _folder.Path), 3, $"{labels}: magic number is 1234");
    }

    [Test]
    public void A_batch_larger_than_the_training_set_is_a_usage_error()
    {
        IdxWriter.Folder(_folder.Path, trainCount: 40);

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--data", _folder.Path, "--batch-size", "41"), 2,
            $"--data {_folder.Path}: --batch-size is 41, more than the 40 training sequences; use at most 40.");
    }

    [Test]
    public void Asking_for_cuda_without_it_exits_with_4()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Ignore("this machine has CUDA");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--device", "cuda", "--steps", "1"), 4, "--device: CUDA is not available");
    }

    [Test]
    public void A_short_run_prints_the_experiments_lines_and_writes_the_summary()
    {
        string data = IdxWriter.Folder(Path.Combine(_folder.Path, "data"), trainCount: 40, testCount: 20);
        string summary = Path.Combine(_folder.Path, "out", "summary.json");

        var result = RunnerInProcess.Run("train", "--data", data, "--steps", "4", "--batch-size", "10", "--log-every", "2",
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
    public void A_run_that_stalls_says_where_and_why_in_its_summary_naming_the_flags()
    {
        string data = IdxWriter.Folder(Path.Combine(_folder.Path, "data"), trainCount: 40, testCount: 20, side: 8);
        string summary = Path.Combine(_folder.Path, "summary.json");

        // A learning rate this low leaves the loss at chance (ln 10) for the whole window.
        var result = RunnerInProcess.Run("train", "--data", data, "--steps", "8", "--batch-size", "10", "--hidden", "8", "--lr", "1e-9",
            "--stall-window", "4", "--threads", "1", "--out", Path.Combine(_folder.Path, "run"), "--summary", summary);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(summary));
        Assert.That(json.RootElement.GetProperty("stalled_at_step").GetInt32(), Is.EqualTo(4));
        Assert.That(json.RootElement.GetProperty("stall_advice").GetString(), Does.Contain("usual fixes: a lower --lr").And.Not.Contain("TrainingOptions"));
    }

    [Test]
    public void An_irnn_reads_pixels_one_by_one_and_logs_to_tensorboard()
    {
        string data = IdxWriter.Folder(Path.Combine(_folder.Path, "data"), trainCount: 20, testCount: 10, side: 6);
        string logDir = Path.Combine(_folder.Path, "tensorboard");

        var result = RunnerInProcess.Run("train", "--data", data, "--model", "irnn", "--order", "pixels", "--steps", "3",
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

        var result = RunnerInProcess.Run("train", "--data", data, "--steps", "3", "--batch-size", "10", "--device", "cpu");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("final loss "));
    }

    [Test]
    public void Fashion_mnist_from_debian_trains_too()
    {
        const string fashion = "/usr/share/datasets/fashion-mnist";
        Assume.That(Directory.Exists(fashion), $"{fashion} is absent: apt-get install dataset-fashion-mnist");

        var result = RunnerInProcess.Run("train", "--data", fashion, "--steps", "2", "--device", "cpu");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("final loss "));
    }
}
