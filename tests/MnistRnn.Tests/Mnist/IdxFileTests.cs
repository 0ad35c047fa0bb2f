using System.Buffers.Binary;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Mnist;

[Category("Unit")]
public sealed class IdxFileTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string path = _folder.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Test]
    public void Reads_images_row_major_with_their_dimensions()
    {
        string path = Write("images", IdxWriter.Images(3, 2, 4, pixel: i => (byte)i));

        var images = IdxFile.ReadImages(path);

        Assert.That((images.Count, images.Rows, images.Columns), Is.EqualTo((3, 2, 4)));
        Assert.That(images.Pixels, Is.EqualTo(Enumerable.Range(0, 24).Select(i => (byte)i).ToArray()));
    }

    [Test]
    public void Reads_gzip_files_by_their_signature_whatever_their_name()
    {
        string path = Write("labels-without-gz-suffix", IdxWriter.Gzip(IdxWriter.Labels(5, i => (byte)(9 - i))));

        Assert.That(IdxFile.ReadLabels(path), Is.EqualTo(new byte[] { 9, 8, 7, 6, 5 }));
    }

    [Test]
    public void Rejects_a_labels_file_given_as_images_naming_both_magic_numbers()
    {
        string path = Write("labels", IdxWriter.Labels(5));

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path))!;

        Assert.That(error.Message, Does.StartWith(path).And.Contain("magic number is 2049").And.Contain("expected 2051"));
    }

    [Test]
    public void Rejects_a_file_shorter_than_its_header()
    {
        string path = Write("short", new byte[] { 0, 0, 8, 3, 0, 0, 0, 9 });

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path))!;

        Assert.That(error.Message, Does.Contain(path).And.Contain("file is 8 bytes long, shorter than the 16-byte IDX images header"));
    }

    [Test]
    public void Rejects_a_truncated_body()
    {
        var bytes = IdxWriter.Images(4, 28, 28);
        string path = Write("truncated", bytes[..^100]);

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path))!;

        Assert.That(error.Message, Does.Contain(path).And.Contain("truncated").And.Contain("3136 bytes"));
    }

    [Test]
    public void Rejects_data_beyond_what_the_header_declares()
    {
        string path = Write("long", [.. IdxWriter.Labels(4), 1, 2]);

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(path))!;

        Assert.That(error.Message, Does.Contain(path).And.Contain("more data than its header declares"));
    }

    [TestCase(int.MaxValue, 28, 28, "image count")]
    [TestCase(-5, 28, 28, "image count")]
    [TestCase(10, 0, 28, "row count")]
    [TestCase(10, 28, 100_000, "column count")]
    public void Rejects_absurd_dimensions_before_allocating(int count, int rows, int columns, string field)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxFile.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
        string path = Write("absurd", header);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path))!;

        Assert.That(error.Message, Does.Contain(path).And.Contain($"header {field} is"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, Is.LessThan(1_000_000), "no large buffer was allocated");
    }

    [Test]
    public void Rejects_a_header_whose_total_size_exceeds_an_array()
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxFile.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), IdxFile.MaxItems);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 1000);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 1000);
        string path = Write("huge", header);

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path))!;

        Assert.That(error.Message, Does.Contain("more than one array can hold"));
    }

    [Test]
    public void Rejects_a_corrupt_gzip_stream()
    {
        var gz = IdxWriter.Gzip(IdxWriter.Labels(1000));
        for (int i = 20; i < gz.Length - 8; i++) gz[i] ^= 0x5a;
        string path = Write("corrupt.gz", gz);

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(path))!;

        Assert.That(error.Message, Does.StartWith(path));
    }

    [Test]
    public void A_missing_file_is_named()
    {
        string path = _folder.File("absent");

        var error = Assert.Throws<FileNotFoundException>(() => IdxFile.ReadLabels(path))!;

        Assert.That(error.Message, Is.EqualTo($"{path}: no such IDX file."));
    }
}
