using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Tests.Support;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Mnist;

[Category("Unit")]
public sealed class MnistDatasetTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [TestCase(false)]
    [TestCase(true)]
    public void Loads_pixels_scaled_to_unit_floats_and_labels_as_int64(bool gzip)
    {
        IdxWriter.Folder(_folder.Path, trainCount: 20, testCount: 10, gzip: gzip);

        using var dataset = MnistDataset.Load(_folder.Path);

        Assert.That(dataset.Train.Images.shape, Is.EqualTo(new long[] { 20, 28, 28 }));
        Assert.That(dataset.Test.Labels.shape, Is.EqualTo(new long[] { 10 }));
        Assert.That(dataset.Train.Images.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(dataset.Train.Labels.dtype, Is.EqualTo(ScalarType.Int64));
        // IdxWriter's pixel i is (16 + i) * 7 mod 256.
        Assert.That(dataset.Train.Images[0, 0, 1].item<float>(), Is.EqualTo(((17 * 7) % 256) / 255f).Within(1e-6));
        Assert.That(dataset.Train.Labels[13].item<long>(), Is.EqualTo(3));
        Assert.That(dataset.IsVerifiedMnist, Is.False);
    }

    [Test]
    public void Reports_the_sequence_shape_and_the_classes_the_labels_use()
    {
        IdxWriter.Folder(_folder.Path, side: 12);
        File.WriteAllBytes(_folder.File("t10k-labels-idx1-ubyte"), IdxWriter.Labels(10, label: i => (byte)(i == 3 ? 25 : 1)));

        using var dataset = MnistDataset.Load(_folder.Path);

        Assert.That((dataset.Rows, dataset.Columns, dataset.Classes), Is.EqualTo((12, 12, 26)));
    }

    [Test]
    public void Refuses_splits_whose_images_differ_in_size()
    {
        IdxWriter.Folder(_folder.Path);
        string testImages = _folder.File("t10k-images-idx3-ubyte");
        File.WriteAllBytes(testImages, IdxWriter.Images(10, 32, 32));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_folder.Path))!;

        Assert.That(error.Message, Does.StartWith(testImages).And.Contain("images are 32x32").And.Contain("are 28x28"));
    }

    [Test]
    public void Refuses_images_and_labels_that_disagree_in_count()
    {
        IdxWriter.Folder(_folder.Path);
        File.WriteAllBytes(_folder.File("t10k-labels-idx1-ubyte"), IdxWriter.Labels(9));

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_folder.Path))!;

        Assert.That(error.Message, Does.Contain("declares 9 labels").And.Contain("declares 10 images"));
    }

    [Test]
    public void Refuses_a_file_whose_hash_differs_from_the_manifest()
    {
        IdxWriter.Folder(_folder.Path);
        File.WriteAllText(_folder.File("SHA256SUMS"), new string('0', 64) + "  train-labels-idx1-ubyte\n");

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_folder.Path))!;

        Assert.That(error.Message, Does.StartWith(_folder.File("train-labels-idx1-ubyte")).And.Contain("SHA256SUMS"));
    }

    [Test]
    public void Accepts_files_matching_the_manifest()
    {
        IdxWriter.Folder(_folder.Path);
        string labels = _folder.File("train-labels-idx1-ubyte");
        File.WriteAllText(_folder.File("SHA256SUMS"), $"{DatasetChecksums.Sha256(labels)} *train-labels-idx1-ubyte\n");

        using var dataset = MnistDataset.Load(_folder.Path);

        Assert.That(dataset.Train.Count, Is.EqualTo(20));
    }

    [Test]
    public void Names_the_missing_file()
    {
        IdxWriter.Folder(_folder.Path);
        File.Delete(_folder.File("t10k-images-idx3-ubyte"));

        var error = Assert.Throws<FileNotFoundException>(() => MnistDataset.Load(_folder.Path))!;

        Assert.That(error.Message, Does.Contain("neither t10k-images-idx3-ubyte nor t10k-images-idx3-ubyte.gz"));
    }

    [Test]
    public void The_vendored_copy_is_verified_mnist()
    {
        using var dataset = MnistDataset.Load(RepositoryPaths.Mnist);

        Assert.That(dataset.IsVerifiedMnist, Is.True);
        Assert.That((dataset.Train.Count, dataset.Test.Count), Is.EqualTo((60_000, 10_000)));
        Assert.That(dataset.Train.Images.max().item<float>(), Is.EqualTo(1f));
    }
}
