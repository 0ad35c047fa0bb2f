using System.Buffers.Binary;
using System.Diagnostics;
using MnistRnn.Mnist;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Hostile;

/// <summary>
/// A small compressed file may declare gigabytes: what the headers declare is judged before any body is inflated,
/// against each other and against the memory the process may use.
/// </summary>
public sealed class DeclaredSizeTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    // An images file whose header declares count images but whose body is a few bytes: only its header can be read.
    private static byte[] Declaring(int count, int rows, int columns)
    {
        var header = IdxWriter.Images(0, rows, columns);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        return IdxWriter.Gzip([.. header, 0, 0, 0, 0]);
    }

    private string Folder(byte[] trainImages, int trainLabels)
    {
        IdxWriter.Folder(_folder.Path, gzip: true);
        File.WriteAllBytes(_folder.File("train-images-idx3-ubyte.gz"), trainImages);
        File.WriteAllBytes(_folder.File("train-labels-idx1-ubyte.gz"), IdxWriter.Gzip(IdxWriter.Labels(trainLabels)));
        return _folder.Path;
    }

    [Test]
    public void Ten_million_declared_images_with_another_count_of_labels_are_refused_from_the_headers()
    {
        string folder = Folder(Declaring(10_000_000, 14, 15), trainLabels: 20);
        long before = Process.GetCurrentProcess().WorkingSet64;

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(folder))!;

        Assert.That(error.Message, Is.EqualTo(
            $"{_folder.File("train-labels-idx1-ubyte.gz")}: declares 20 labels but {_folder.File("train-images-idx3-ubyte.gz")} declares 10000000 images; they must match."));
        Assert.That((Process.GetCurrentProcess().WorkingSet64 - before) / 1048576.0, Is.LessThan(100), "nothing of the 2.1 GB declared was inflated");
    }

    [Test]
    public void Declared_images_beyond_the_memory_the_process_may_use_are_refused_before_inflating()
    {
        // One million 28x28 images (784 MB as bytes, 3.1 GB as float32) under a 512 MB limit, as in a small container.
        string folder = Folder(Declaring(1_000_000, 28, 28), trainLabels: 1_000_000);
        var limit = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x20000000" };

        var result = DotnetProcess.Run(AppContext.BaseDirectory, TimeSpan.FromMinutes(2), limit,
            Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), "train", "--data", folder, "--steps", "1", "--out", _folder.File("run"), "--threads", "1");

        UserErrorAssert.OneSentence(result, 2, $"Loading the images of {folder} needs about 3.");
        Assert.That(result.Error, Does.Contain("GB of memory, more than 90% of the").And.Contain("use a dataset with fewer or smaller images"));
    }
}
