using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Hostile;

/// <summary>FIFOs, devices and links to them where a data file, manifest or checkpoint belongs: refused at once, never read forever.</summary>
[Category("Hostile")]
[Platform("Linux,MacOsX")]
[CancelAfter(60_000)]
public sealed class SpecialFileTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [TestCase("train-labels-idx1-ubyte", false)]
    [TestCase("train-labels-idx1-ubyte", true)]
    [TestCase("SHA256SUMS", false)]
    public void A_data_folder_with_a_fifo_or_endless_device_is_refused(string name, bool endless)
    {
        IdxWriter.Folder(_folder.Path);
        string path = _folder.File(name);
        File.Delete(path);
        if (endless) SpecialFiles.EndlessZeros(path);
        else SpecialFiles.Fifo(path);

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_folder.Path))!;

        Assert.That(error.Message, Does.StartWith($"{path} is empty or not a regular file (a pipe or a device)"));
    }

    [TestCase("/dev/zero")]
    [TestCase("fifo")]
    public void A_checkpoint_that_is_a_device_or_fifo_is_refused_with_exit_code_6(string checkpoint)
    {
        if (checkpoint == "fifo") checkpoint = SpecialFiles.Fifo(_folder.File("model.ckpt"));

        UserErrorAssert.OneSentence(RunnerProcess.Run("eval", "--checkpoint", checkpoint), 6,
            $"--checkpoint: {checkpoint} is empty or not a regular file (a pipe or a device); give a checkpoint file.");
    }

    [Test]
    public void A_checkpoint_folder_with_oddly_named_files_lists_only_checkpoints()
    {
        foreach (string name in new[] { "checkpoint-step-99999999999999999999.ckpt", "checkpoint-step-١٢.ckpt", "checkpoint-step-.ckpt", "checkpoint-step-7.ckpt.partial" })
            File.WriteAllText(_folder.File(name), "x");
        Directory.CreateDirectory(_folder.File("checkpoint-step-0000003.ckpt"));
        File.WriteAllText(_folder.File("checkpoint-step-0000002.ckpt"), "x");

        Assert.That(CheckpointStore.List(_folder.Path), Is.EqualTo(new[] { _folder.File("checkpoint-step-0000002.ckpt") }));
    }
}
