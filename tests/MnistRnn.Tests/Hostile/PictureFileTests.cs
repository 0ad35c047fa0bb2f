using MnistRnn.Mnist;
using MnistRnn.Runner;
using MnistRnn.Runner.FileSystem;
using MnistRnn.Tests.Support;
using SkiaSharp;

namespace MnistRnn.Tests.Hostile;

/// <summary>Pictures as phones and damaged downloads deliver them: rotated by EXIF, cut short, or not files at all.</summary>
[Category("Hostile")]
public sealed class PictureFileTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    // A 40 wide, 20 high picture, black but for a white 8x8 block in its top-left corner.
    private static byte[] Encode(SKEncodedImageFormat format)
    {
        using var surface = SKSurface.Create(new SKImageInfo(40, 20));
        surface.Canvas.Clear(SKColors.Black);
        using var white = new SKPaint { Color = SKColors.White };
        surface.Canvas.DrawRect(0, 0, 8, 8, white);
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 100);
        return data.ToArray();
    }

    // The JPEG with an APP1 Exif segment after its start marker holding one tag: orientation (0x0112).
    private static byte[] JpegWithOrientation(ushort orientation)
    {
        byte[] jpeg = Encode(SKEncodedImageFormat.Jpeg);
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, first IFD at 8
            0, 1,                                    // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1,            // tag 0x0112, type SHORT, count 1
            (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,                              // no next IFD
        ];
        byte[] exif = [.. "Exif\0\0"u8, .. tiff];
        int length = exif.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. exif];
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }

    private static double Brightness(GrayscaleImage image, int x, int y) => image.Pixels[y * image.Width + x];

    [TestCase((ushort)1, 40, 20, 3, 3)]   // as stored: the block stays top-left
    [TestCase((ushort)3, 40, 20, 36, 16)] // turned 180 degrees: bottom-right
    [TestCase((ushort)6, 20, 40, 16, 3)]  // turned 90 degrees clockwise to view: top-right of a tall picture
    [TestCase((ushort)8, 20, 40, 3, 36)]  // turned 90 degrees counter-clockwise: bottom-left
    public void Exif_orientation_turns_the_picture_upright(ushort orientation, int width, int height, int blockX, int blockY)
    {
        string path = _folder.File("photo.jpg");
        File.WriteAllBytes(path, JpegWithOrientation(orientation));

        var image = ImageFile.Read(path);

        Assert.That((image.Width, image.Height), Is.EqualTo((width, height)));
        Assert.That(Brightness(image, blockX, blockY), Is.GreaterThan(200), "the white block is where a viewer shows it");
        Assert.That(Brightness(image, width - 1 - blockX, height - 1 - blockY), Is.LessThan(50), "and not in the opposite corner");
    }

    [TestCase(SKEncodedImageFormat.Png)]
    [TestCase(SKEncodedImageFormat.Jpeg)]
    public void A_truncated_picture_is_refused_rather_than_guessed_at(SKEncodedImageFormat format)
    {
        byte[] whole = Encode(format);
        string path = _folder.File("cut");
        File.WriteAllBytes(path, whole[..(whole.Length * 2 / 3)]);

        var error = Assert.Throws<UserErrorException>(() => ImageFile.Read(path))!;

        Assert.That(error.ExitCode, Is.EqualTo(7));
        Assert.That(error.Message, Does.StartWith($"{path}: the file is truncated"));
    }

    [Test]
    public void A_fifo_in_place_of_a_picture_is_refused_without_blocking()
    {
        string fifo = SpecialFiles.Fifo(_folder.File("digit.png"));

        var error = Assert.Throws<UserErrorException>(() => ImageFile.Read(fifo))!;

        Assert.That(error.Message, Is.EqualTo($"{fifo} is empty or not a regular file (a pipe or a device); give a picture file."));
    }
}
