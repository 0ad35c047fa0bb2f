using System.Buffers.Binary;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Hostile;

/// <summary>
/// IDX files with boundary and random headers and bodies, raw and gzipped. The reader must return exactly
/// what the header declares or refuse with an <see cref="InvalidDataException"/> naming the file, and its
/// memory must follow the bytes really there, not the sizes a header claims.
/// </summary>
[Category("Hostile")]
public sealed class IdxFuzzTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static readonly int[] Dimensions = [int.MinValue, -1, 0, 1, 2, 28, 4096, 4097, 10_000_000, 10_000_001, int.MaxValue];

    private static byte[] Header(int magic, params int[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        return header;
    }

    private static IEnumerable<TestCaseData> ImageHeaders()
    {
        foreach (int count in Dimensions)
            foreach (int side in Dimensions)
                foreach (bool gzip in new[] { false, true })
                    yield return new TestCaseData(count, side, gzip).SetArgDisplayNames($"{count} images of {side}x3", gzip ? "gz" : "raw");
    }

    [TestCaseSource(nameof(ImageHeaders))]
    public void Image_headers_are_honoured_or_refused(int count, int side, bool gzip)
    {
        // A body of 3000 bytes, whatever the header says: enough for some headers, far too little for most.
        byte[] body = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        AssertReadOrRefused([.. Header(IdxFile.ImagesMagic, count, side, 3), .. body], gzip, path => IdxFile.ReadImages(path).Pixels.Length,
            expectedLength: (long)count * side * 3);
    }

    [Test]
    public void Random_files_are_honoured_or_refused()
    {
        var random = new Random(17);
        for (int trial = 0; trial < 300; trial++)
        {
            bool images = random.Next(2) == 0;
            int[] dimensions = Enumerable.Range(0, images ? 3 : 1)
                .Select(_ => random.Next(4) == 0 ? Dimensions[random.Next(Dimensions.Length)] : random.Next(0, 40)).ToArray();
            int magic = random.Next(10) == 0 ? random.Next() : images ? IdxFile.ImagesMagic : IdxFile.LabelsMagic;
            byte[] body = new byte[random.Next(0, 5000)];
            random.NextBytes(body);
            byte[] file = [.. Header(magic, dimensions), .. body];
            if (random.Next(5) == 0) file = file[..random.Next(file.Length + 1)];
            long expected = dimensions.Aggregate(1L, (a, d) => a * d);
            AssertReadOrRefused(file, random.Next(2) == 0,
                images ? path => IdxFile.ReadImages(path).Pixels.Length : path => IdxFile.ReadLabels(path).Length, expected);
        }
    }

    [Test]
    public void A_small_gzip_declaring_ten_million_images_costs_only_what_it_inflates_to()
    {
        // 10,000,000 images of 28x28 declared; 2 MB of zeros actually compressed.
        byte[] file = [.. Header(IdxFile.ImagesMagic, 10_000_000, 28, 28), .. new byte[2_000_000]];

        AssertReadOrRefused(file, gzip: true, path => IdxFile.ReadImages(path).Pixels.Length, expectedLength: 7_840_000_000);
    }

    private void AssertReadOrRefused(byte[] file, bool gzip, Func<string, int> read, long expectedLength)
    {
        string path = _folder.File($"fuzz-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, gzip ? IdxWriter.Gzip(file) : file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            Assert.That(read(path), Is.EqualTo(expectedLength), "what the header declares, exactly");
        }
        catch (InvalidDataException e)
        {
            Assert.That(e.Message, Does.StartWith(path).And.Not.Contain("\n"));
        }
        // The buffer starts at 16 MB and doubles only while data keeps arriving: bounded by the data really there.
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(2L * file.Length + (40L << 20)), "memory follows the data");
        File.Delete(path);
    }
}
