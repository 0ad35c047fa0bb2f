using MnistRnn.Checkpoints;
using MnistRnn.IO;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;

namespace MnistRnn.Tests.IO;

/// <summary>
/// Every file the library writes (model files, ONNX exports, checkpoints, baselines) goes through one writer: a failure is
/// one sentence that names the user's path, never the temporary file, says what to do, and leaves nothing behind.
/// </summary>
[Category("Unit")]
public sealed class FileWriteFailureTests
{
    private TempFolder _folder = null!;
    private RecurrentClassifier _model = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _model = new RecurrentClassifier(CellKind.Gru, 3, 4, 2);
    }

    [TearDown]
    public void TearDown()
    {
        _model.Dispose();
        _folder.Dispose();
    }

    private void AssertNothingLeftIn(string folder) =>
        Assert.That(Directory.Exists(folder) ? Directory.GetFiles(folder, "*.tmp") : [], Is.Empty, "no temporary file left");

    [Test]
    public void A_missing_folder_is_named()
    {
        string path = _folder.File("missing/model.safetensors");

        var error = Assert.Throws<IOException>(() => ModelFile.Save(_model, path))!;

        Assert.That(error.Message, Is.EqualTo($"cannot write {path}: the folder {_folder.File("missing")} does not exist; create it first, or choose another."));
    }

    [Test]
    public void A_file_where_the_folder_should_be_is_named()
    {
        string notAFolder = _folder.File("file");
        File.WriteAllText(notAFolder, "a file");
        string path = Path.Combine(notAFolder, "model.safetensors");

        var error = Assert.Throws<IOException>(() => ModelFile.Save(_model, path))!;

        Assert.That(error.Message, Is.EqualTo($"cannot write {path}: {notAFolder} is a file, not a folder; choose a path in a folder."));
        Assert.That(File.ReadAllText(notAFolder), Is.EqualTo("a file"));
    }

    [Test]
    public void A_folder_at_the_path_is_named_and_kept()
    {
        string path = _folder.File("model.onnx");
        Directory.CreateDirectory(path);

        var error = Assert.Throws<IOException>(() => ModelFile.ExportOnnx(_model, path))!;

        Assert.That(error.Message, Is.EqualTo($"cannot write {path}: it is a folder; give a file name, in it or elsewhere."));
        Assert.That(Directory.Exists(path), Is.True);
        AssertNothingLeftIn(_folder.Path);
    }

    [Test]
    public void A_special_file_system_is_named_without_the_temporary_file()
    {
        Assume.That(OperatingSystem.IsLinux(), "/proc is Linux's");
        const string path = "/proc/model.safetensors";

        var error = Assert.Throws<IOException>(() => ModelFile.Save(_model, path))!;

        Assert.That(error.Message, Is.EqualTo($"cannot write {path}: /proc does not take new files (a special file system such as /proc); choose a folder on a disk."));
        Assert.That(error.Message, Does.Not.Contain(".tmp"));
    }

    [Test]
    public void A_checkpoint_into_a_missing_folder_is_the_same_sentence()
    {
        using var data = LearnableTasks.BrightestRow(32, seed: 1);
        string folder = _folder.File("run");
        var store = new CheckpointStore(folder);
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Gru, HiddenSize = 4, BatchSize = 8, Steps = 2, StallWindow = 0 }) { Callbacks = [store] };
        using var model = trainer.CreateModel(data);
        Directory.CreateDirectory(folder);
        Directory.Delete(folder);

        var error = Assert.Catch<IOException>(() => trainer.Train(model, data))!;

        Assert.That(error.Message, Does.StartWith($"cannot write {folder}").And.Not.Contain(".tmp"));
    }

    // A read-only mount and a full disk cannot be made here without privileges, so their errno values (what .NET hands on
    // as the exception's HResult on Linux) are given to the same explanation directly.
    [TestCase(30, "is read-only or not writable by this user; choose a folder you can write to.", typeof(UnauthorizedAccessException))]
    [TestCase(28, "its disk is full (or the quota spent); free some space, or choose another disk.", typeof(IOException))]
    [TestCase(122, "its disk is full (or the quota spent); free some space, or choose another disk.", typeof(IOException))]
    public void A_read_only_folder_and_a_full_disk_are_named(int errno, string reason, Type type)
    {
        string path = _folder.File("model.safetensors");
        string temporary = path + ".123.tmp";

        var explained = AtomicFile.Explained(path, temporary, new IOException($"failure : '{temporary}'", errno));

        Assert.That(explained, Is.TypeOf(type));
        Assert.That(explained.Message, Does.StartWith($"cannot write {path}: ").And.EndWith(reason).And.Not.Contain(".tmp"));
    }
}
