using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
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

    // A file the reader may be handed: an image or label header (dimensions mostly small, one in four a boundary value; one
    // magic number in ten arbitrary), a random body, sometimes cut anywhere, raw or gzipped.
    private sealed record IdxCase(bool Images, int[] Dimensions, int Magic, byte[] Body, int? CutAt, bool Gzip)
    {
        public byte[] File => CutAt is int cut ? Whole[..Math.Min(cut, Whole.Length)] : Whole;

        private byte[] Whole => [.. Header(Magic, Dimensions), .. Body];

        public override string ToString() =>
            $"{(Images ? "images" : "labels")} magic {Magic} dimensions [{string.Join(", ", Dimensions)}], {Body.Length}-byte body, cut at {CutAt?.ToString() ?? "none"}, {(Gzip ? "gz" : "raw")}";
    }

    private static readonly Gen<IdxCase> IdxCases =
        from images in Gen.Elements(true, false)
        from dimensions in Gen.ArrayOf(Gen.Frequency((3, Gen.Choose(0, 39)), (1, Gen.Elements(Dimensions))), images ? 3 : 1)
        from arbitraryMagic in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
        from magic in arbitraryMagic ? Gen.Choose(0, int.MaxValue) : Gen.Constant(images ? IdxFile.ImagesMagic : IdxFile.LabelsMagic)
        from length in Gen.Choose(0, 4999)
        from body in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
        from cut in Gen.Frequency((4, Gen.Constant<int?>(null)), (1, Gen.Choose(0, 4 + 4 * dimensions.Length + length).Select(c => (int?)c)))
        from gzip in Gen.Elements(true, false)
        select new IdxCase(images, dimensions, magic, body, cut, gzip);

    // A property over 300 generated files with a fixed seed, so CI always checks the same ones; a failure names the file's
    // recipe and FsCheck's replay seed.
    [Test]
    public void Every_generated_file_is_honoured_or_refused() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithReplay(17UL, 0x9E3779B97F4A7C15UL), Prop.ForAll(Arb.From(IdxCases), (IdxCase idx) =>
            AssertReadOrRefused(idx.File, idx.Gzip,
                idx.Images ? path => IdxFile.ReadImages(path).Pixels.Length : path => IdxFile.ReadLabels(path).Length,
                idx.Dimensions.Aggregate(1L, (a, d) => a * d))));

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
