using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using MnistRnn.Mnist;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Hostile;

/// <summary>
/// A small compressed file may declare gigabytes: what the headers declare is judged before any body is inflated,
/// against each other and against the memory the process may use.
/// </summary>
[Category("Hostile")]
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

    // What loading costs: the pixels as bytes, and the labels as bytes and as int64.
    [TestCase(1_000_000, 28, 28, "0x20000000", "0.74 GB", TestName = "One million 28x28 images (784 MB) under a 512 MB limit")]
    [TestCase(10_000_000, 14, 15, "0x80000000", "2.04 GB", TestName = "Ten million 14x15 images (2.1 GB) with as many labels under a 2 GB limit")]
    public void Declared_images_beyond_the_memory_the_process_may_use_are_refused_before_inflating(int count, int rows, int columns, string heapLimit, string needed)
    {
        string folder = Folder(Declaring(count, rows, columns), trainLabels: count);
        var limit = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = heapLimit };

        var result = DotnetProcess.Run(AppContext.BaseDirectory, TimeSpan.FromMinutes(2), limit,
            Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), "train", "--data", folder, "--steps", "1", "--out", _folder.File("run"), "--threads", "1");

        UserErrorAssert.OneSentence(result, 2, $"Loading the images of {folder} needs about {needed} of memory, more than 90% of the");
        Assert.That(result.Error, Does.Contain("use a dataset with fewer or smaller images"));
    }

    [Test]
    public void A_small_file_of_a_million_blank_images_trains_within_their_bytes_and_the_runtime()
    {
        // 784 MB of blank 28x28 images compress to under a megabyte; kept as bytes, they cost what they are, not four times.
        const int count = 1_000_000;
        IdxWriter.Folder(_folder.Path, gzip: true);
        using (var file = File.Create(_folder.File("train-images-idx3-ubyte.gz")))
        using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize))
        {
            var header = IdxWriter.Images(0, 28, 28);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
            gzip.Write(header);
            var blankImages = new byte[28 * 28 * 1000];
            for (int written = 0; written < count; written += 1000) gzip.Write(blankImages);
        }
        File.WriteAllBytes(_folder.File("train-labels-idx1-ubyte.gz"), IdxWriter.Gzip(IdxWriter.Labels(count)));
        Assert.That(new FileInfo(_folder.File("train-images-idx3-ubyte.gz")).Length, Is.LessThan(1 << 20));

        var (result, peakBytes) = DotnetProcess.RunMeasuringPeak(AppContext.BaseDirectory, TimeSpan.FromMinutes(3),
            Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), "train", "--data", _folder.Path, "--steps", "2", "--out", _folder.File("run"), "--threads", "1");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.Error);
        // 0.78 GB of pixels held once as bytes, and under 0.7 GB of runtime and libtorch: never a float32 copy (3.1 GB).
        Assert.That(peakBytes / 1e9, Is.LessThan(1.5), "peak working set in GB");
        TestContext.Out.WriteLine($"peak working set {peakBytes / 1e9:0.00} GB");
    }
}
