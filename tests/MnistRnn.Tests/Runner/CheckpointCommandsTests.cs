using System.Buffers.Binary;
using System.Text.Json;
using MnistRnn.Tests.Support;
using SkiaSharp;

namespace MnistRnn.Tests.Runner;

/// <summary>train --out/--resume, eval and predict, run as a user runs them, with every kind of bad input.</summary>
[Category("RunnerInProcess")]
public sealed class CheckpointCommandsTests
{
    private TempFolder _folder = null!;
    private string _data = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20, side: 8);
    }

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private string Train(string folder, params string[] extra)
    {
        var result = RunnerInProcess.Run(["train", "--data", _data, "--steps", "6", "--batch-size", "10", "--hidden", "8", "--device", "cpu",
            "--checkpoint-every", "2", "--out", folder, .. extra]);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        return folder;
    }

    [Test]
    public void A_checkpoint_whose_settings_read_a_validation_it_never_held_out_is_refused_in_one_sentence()
    {
        // Crafted with a valid checksum: the run held out nothing, but its settings ask for early stopping and the best weights.
        string folder = Train(_folder.File("run"));
        string genuine = Path.Combine(folder, "checkpoint-step-0000006.ckpt");
        string crafted = _folder.File("crafted.ckpt");
        File.WriteAllBytes(crafted, CheckpointSeal.WithHeader(File.ReadAllBytes(genuine), header =>
        {
            header["run"]!["early_stop_patience"] = 2;
            header["run"]!["restore_best_weights"] = true;
        }));

        var result = RunnerInProcess.Run("train", "--data", _data, "--resume", crafted, "--steps", "8", "--out", _folder.File("resumed"));

        UserErrorAssert.OneSentence(result, 6, $"--resume: {crafted} asks for early stopping, the best weights or a plateau schedule");
        Assert.That(Directory.Exists(_folder.File("resumed")), Is.False, "nothing is left behind");
    }

    [Test]
    public void Train_keeps_the_newest_two_checkpoints_and_names_the_last_in_its_summary()
    {
        string folder = Train(_folder.File("run"), "--summary", _folder.File("summary.json"));

        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { ".lock", "checkpoint-step-0000004.ckpt", "checkpoint-step-0000006.ckpt" }));
        using var summary = JsonDocument.Parse(File.ReadAllText(_folder.File("summary.json")));
        Assert.That(summary.RootElement.GetProperty("checkpoint").GetString(), Is.EqualTo(Path.Combine(folder, "checkpoint-step-0000006.ckpt")));
    }

    [Test]
    public void Resuming_a_finished_run_with_more_steps_continues_it_in_the_same_folder()
    {
        string folder = Train(_folder.File("run"));

        var result = RunnerInProcess.Run("train", "--resume", folder, "--steps", "8", "--data", _data, "--log-every", "1");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.StartWith("step 7, ").And.Contain("step 8, "));
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { ".lock", "checkpoint-step-0000006.ckpt", "checkpoint-step-0000008.ckpt" }));
    }

    [TestCase("--hidden", "16", "--hidden 16 contradicts the checkpoint's 8")]
    [TestCase("--model", "gru", "--model gru contradicts the checkpoint's lstm")]
    [TestCase("--steps", "6", "--steps 6: the checkpoint is already at step 6")]
    public void Resuming_with_a_contradicting_flag_is_a_usage_error(string flag, string value, string message)
    {
        string folder = Train(_folder.File("run"));

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--resume", folder, flag, value, "--data", _data), 2, message);
    }

    [Test]
    public void Resuming_from_a_corrupt_checkpoint_names_it_and_exits_with_6()
    {
        string folder = Train(_folder.File("run"));
        string newest = Path.Combine(folder, "checkpoint-step-0000006.ckpt");
        byte[] bytes = File.ReadAllBytes(newest);
        File.WriteAllBytes(newest, bytes[..^40]);

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--resume", newest, "--data", _data), 6,
            $"--resume: {newest}: the checkpoint is truncated or corrupt");
        Assert.That(File.ReadAllBytes(newest), Has.Length.EqualTo(bytes.Length - 40), "left as it was");
    }

    [Test]
    public void Resuming_from_a_folder_skips_a_damaged_newest_checkpoint_with_a_warning()
    {
        string folder = Train(_folder.File("run"));
        File.WriteAllText(Path.Combine(folder, "checkpoint-step-0000006.ckpt"), "not a checkpoint");

        var result = RunnerInProcess.Run("train", "--resume", folder, "--data", _data, "--log-every", "1");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Error, Does.StartWith("warning: skipped ").And.Contain("checkpoint-step-0000006.ckpt: not an MnistRnn checkpoint"));
        Assert.That(result.Output, Does.StartWith("step 5, "));
    }

    [Test]
    public void Resuming_from_a_folder_without_checkpoints_exits_with_6() =>
        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--resume", _folder.Path, "--data", _data), 6,
            $"--resume: folder {_folder.Path} holds no checkpoint-step-*.ckpt files.");

    [Test]
    public void Resuming_on_data_of_another_size_exits_with_6()
    {
        string folder = Train(_folder.File("run"));
        string other = IdxWriter.Folder(_folder.File("other"), trainCount: 40, testCount: 20, side: 9);

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--resume", folder, "--steps", "8", "--data", other), 6,
            "is for a lstm, hidden 8, 8 input features, 10 classes, rows order model, not lstm, hidden 8, 9 input features");
    }

    [Test]
    public void A_checkpoint_folder_that_holds_files_is_refused_and_left_alone()
    {
        string folder = _folder.File("busy");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("train", "--data", _data, "--out", folder), 2, $"--out: folder {folder} already holds files");
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EqualTo(new[] { "notes.txt" }));
    }

    [Test]
    public void Eval_prints_the_tables_and_writes_csv_and_png()
    {
        string folder = Train(_folder.File("run"));
        string report = _folder.File("eval");

        var result = RunnerInProcess.Run("eval", "--checkpoint", folder, "--data", _data, "--out", report);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        Assert.That(result.Output, Does.Contain("test loss ").And.Contain("on 20 images").And.Contain("class  precision  recall  support")
            .And.Contain("confusion matrix (rows: true class, columns: predicted class)"));
        Assert.That(File.ReadAllLines(Path.Combine(report, "per-class.csv"))[0], Is.EqualTo("class,precision,recall,support"));
        string[] confusion = File.ReadAllLines(Path.Combine(report, "confusion.csv"));
        Assert.That(confusion[0], Is.EqualTo("actual\\predicted,0,1,2,3,4,5,6,7,8,9"));
        Assert.That(confusion.Skip(1).Sum(l => l.Split(',').Skip(1).Sum(int.Parse)), Is.EqualTo(20));
        Assert.That(File.ReadAllBytes(Path.Combine(report, "confusion.png"))[1..4], Is.EqualTo("PNG"u8.ToArray()));
    }

    [Test]
    public void Eval_of_a_file_that_is_not_a_checkpoint_exits_with_6()
    {
        string fake = _folder.File("model.ckpt");
        File.WriteAllText(fake, "hello");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("eval", "--checkpoint", fake, "--data", _data), 6,
            $"--checkpoint: {fake}: not an MnistRnn checkpoint");
    }

    [Test]
    public void Eval_on_data_the_checkpoint_was_not_trained_for_exits_with_3()
    {
        string folder = Train(_folder.File("run"));
        string other = IdxWriter.Folder(_folder.File("other"), trainCount: 40, testCount: 20, side: 9);

        UserErrorAssert.OneSentence(RunnerInProcess.Run("eval", "--checkpoint", folder, "--data", other, "--out", _folder.File("eval")), 3,
            "holds 9x9 images of 10 classes, but the checkpoint was trained on 8x8 images of 10 classes");
    }

    private static void WritePng(string path, int size, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(size, size));
        draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Test]
    public void Predict_reads_test_images_and_pictures_of_any_size_and_prints_json()
    {
        string folder = Train(_folder.File("run"));
        string picture = _folder.File("digit.png");
        WritePng(picture, 120, canvas =>
        {
            canvas.Clear(SKColors.White);
            using var pen = new SKPaint { Color = SKColors.Black, StrokeWidth = 12, Style = SKPaintStyle.Stroke };
            canvas.DrawLine(60, 15, 60, 105, pen);
        });

        var result = RunnerInProcess.Run("predict", "--checkpoint", folder, "--data", _data, "--json", "idx:3", picture);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var answers = json.RootElement.EnumerateArray().ToList();
        Assert.That(answers.Select(a => a.GetProperty("input").GetString()), Is.EqualTo(new[] { "idx:3", picture }));
        foreach (var answer in answers)
        {
            var probabilities = answer.GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToList();
            Assert.That(probabilities, Has.Count.EqualTo(10));
            Assert.That(probabilities.Sum(), Is.EqualTo(1).Within(1e-6));
            Assert.That(answer.GetProperty("class").GetInt32(), Is.EqualTo(probabilities.IndexOf(probabilities.Max())));
        }
        Assert.That(answers[0].GetProperty("label").GetInt32(), Is.EqualTo(3), "IdxWriter labels image i with i % 10");
        Assert.That(answers[1].GetProperty("label").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public void Predict_names_a_file_that_is_not_an_image_and_exits_with_7()
    {
        string folder = Train(_folder.File("run"));
        string text = _folder.File("digit.png");
        File.WriteAllText(text, "this is text");

        UserErrorAssert.OneSentence(RunnerInProcess.Run("predict", "--checkpoint", folder, text), 7, $"{text}: not an image this program can read");
    }

    [Test]
    public void Predict_refuses_an_image_whose_header_claims_a_huge_size_before_decoding_it()
    {
        string folder = Train(_folder.File("run"));
        string huge = _folder.File("huge.png");
        File.WriteAllBytes(huge, PngHeaderOnly(width: 100_000, height: 100_000));

        UserErrorAssert.OneSentence(RunnerInProcess.Run("predict", "--checkpoint", folder, huge), 7, $"{huge}: 100000x100000 pixels is outside 1 to 8192 on a side");
    }

    [TestCase("idx:x", 2, "idx:x: write idx:N with N a test image number")]
    [TestCase("idx:500", 2, "idx:500: the test set has images 0 to 19")]
    [TestCase("missing.png", 7, "missing.png: no such picture file")]
    public void Predict_bad_inputs_get_one_sentence(string input, int exitCode, string message)
    {
        string folder = Train(_folder.File("run"));

        UserErrorAssert.OneSentence(RunnerInProcess.Run("predict", "--checkpoint", folder, "--data", _data, input), exitCode, message);
    }

    // A PNG whose IHDR (8-bit grayscale) claims the size, followed by an empty IDAT and IEND: a few dozen bytes
    // that a decoder will happily size at 10 GB.
    private static byte[] PngHeaderOnly(int width, int height)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type, compression, filter and interlace stay 0
        var png = new List<byte>(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 });
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", []);
        Chunk(png, "IEND", []);
        return [.. png];
    }

    private static void Chunk(List<byte> png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.AddRange(length);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        png.AddRange(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.AddRange(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
